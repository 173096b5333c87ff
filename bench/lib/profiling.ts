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

/** Self time of one function (or one package) in a CPU profile. */
export interface ProfileLine {
  name: string;
  selfMs: number;
  share: number;
}

interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Reads a `.cpuprofile` and adds up self time per function and per package (a dependency
 * under node_modules, a workspace app or lib, or Node's own code), largest first.
 */
export async function summarizeProfile(
  file: string,
): Promise<{ totalMs: number; functions: ProfileLine[]; packages: ProfileLine[] }> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let totalUs = 0;

  profile.samples.forEach((id, index) => {
    const frame = frames.get(id);
    const us = profile.timeDeltas[index] ?? 0;
    if (!frame) return;
    totalUs += us;
    add(byFunction, functionLabel(frame), us);
    add(byPackage, packageOf(frame.url, frame.functionName), us);
  });

  const lines = (totals: Map<string, number>) =>
    [...totals]
      .map(([name, us]) => ({ name, selfMs: us / 1000, share: us / Math.max(totalUs, 1) }))
      .sort((a, b) => b.selfMs - a.selfMs);
  return { totalMs: totalUs / 1000, functions: lines(byFunction), packages: lines(byPackage) };
}

function add(totals: Map<string, number>, key: string, us: number): void {
  totals.set(key, (totals.get(key) ?? 0) + us);
}

function functionLabel(frame: CpuProfile['nodes'][number]['callFrame']): string {
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
