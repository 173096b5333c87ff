import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '@kera/testing';

/** Where CPU profiles of benchmark runs are written (ignored by git). */
export const PROFILE_DIR = path.join(ROOT, 'bench', 'results', 'profiles');

/**
 * Extra environment for a process of a benchmark: with `BENCH_PROFILE` naming it (a
 * comma-separated list of process names, or `all`), a V8 CPU profile of it is written to
 * bench/results/profiles/<benchmark>/<process>/ when it is stopped (see cpu-profiler.ts).
 */
export function profilingEnv(benchmark: string, processName: string): Record<string, string> {
  const wanted = (process.env.BENCH_PROFILE ?? '').split(',').map((name) => name.trim());
  if (!wanted.includes(processName) && !wanted.includes('all')) return {};
  return {
    NODE_OPTIONS: `--require ${path.join(__dirname, 'cpu-profiler.js')}`,
    BENCH_PROFILE_DIR: path.join(PROFILE_DIR, benchmark, processName.replace(/\W+/g, '-')),
  };
}

/** Time of one function (or one package) in a CPU profile. */
export interface ProfileLine {
  name: string;
  ms: number;
  /** Of the time the process was busy (idle excluded). */
  share: number;
}

/** Where a profiled process spent the time it was running. */
export interface ProfileSummary {
  /** Time on the CPU: samples not idle, times the sampling interval. */
  busyMs: number;
  /** Self time per package (a dependency, a workspace app or lib, Node's own code). */
  packages: ProfileLine[];
  /** Self time per function. */
  functions: ProfileLine[];
  /** Time per function including everything it called. */
  inclusive: ProfileLine[];
}

type CallFrame = { functionName: string; url: string; lineNumber: number };

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Reads a `.cpuprofile` and adds up where the process spent its time, largest first. Every
 * sample counts as one sampling interval, whatever time passed since the one before: on a busy
 * machine a process waits for a CPU, and that wait would otherwise be charged to whatever
 * happened to run next.
 */
export async function summarizeProfile(file: string): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parents.set(child, node.id);
  }
  const intervalMs = median(profile.timeDeltas) / 1000;
  const self = new Map<string, number>();
  const packages = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;

  for (const id of profile.samples) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') continue;
    busy += 1;
    add(self, functionLabel(frame), 1);
    add(packages, packageOf(frame.url, frame.functionName), 1);
    const onStack = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const caller = nodes.get(at)?.callFrame;
      if (caller && caller.functionName !== '(root)') onStack.add(functionLabel(caller));
    }
    for (const label of onStack) add(inclusive, label, 1);
  }

  const lines = (counts: Map<string, number>) =>
    [...counts]
      .map(([name, samples]) => ({
        name,
        ms: samples * intervalMs,
        share: samples / Math.max(busy, 1),
      }))
      .sort((a, b) => b.ms - a.ms);
  return {
    busyMs: busy * intervalMs,
    packages: lines(packages),
    functions: lines(self),
    inclusive: lines(inclusive),
  };
}

function add(totals: Map<string, number>, key: string, count: number): void {
  totals.set(key, (totals.get(key) ?? 0) + count);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function functionLabel(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  const where = frame.url.replace(/^file:\/\//, '').replace(`${ROOT}/`, '');
  return `${name} ${where}:${frame.lineNumber + 1}`;
}

/** `nats`, `apps/gateway`, `libs/jetstream`, `node:internal` or a V8 pseudo-frame. */
function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (dependency) return dependency;
  const workspace = /\/dist\/((?:apps|libs)\/[^/]+)/.exec(url)?.[1];
  if (workspace) return workspace;
  return url.startsWith('node:') ? 'node:internal' : url;
}
