import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { NatsServer, ROOT } from '@kera/testing';
import { describeMachine, machineLines, type MachineInfo } from './machine';
import { meetsAllBars, printTable, renderMarkdown, type ResultTable } from './table';

/** Where each benchmark writes its tables as Markdown and JSON (ignored by git). */
export const RESULTS_DIR = path.join(ROOT, 'bench', 'results');

/** What a benchmark body gets from runBenchmark. */
export interface BenchmarkRun {
  name: string;
  machine: MachineInfo;
  /** The NATS server this benchmark uses (its own unless BENCH_NATS_URL names one). */
  natsUrl: string;
  /** The process id of that server when it is the benchmark's own. */
  natsPid: number | null;
  /** Registers a clean-up; they run last-registered first, at the end or on Ctrl-C. */
  defer(cleanup: () => Promise<unknown> | unknown): void;
  /** Prints a result table now and keeps it for the results file. */
  report(table: ResultTable): void;
  /** A progress line on stderr, so that stdout holds only the results. */
  progress(line: string): void;
}

/**
 * Runs one benchmark: prints the machine, runs the body, prints and saves every table it
 * reports, and always runs its clean-ups (services, servers, streams, databases), also on
 * Ctrl-C. The process exits non-zero only when the benchmark itself failed; a missed bar is a
 * figure in the table, not an error.
 */
export async function runBenchmark(
  name: string,
  body: (run: BenchmarkRun) => Promise<void>,
): Promise<void> {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  const tables: ResultTable[] = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await Promise.resolve()
        .then(cleanup)
        .catch((error: unknown) => progress(`clean-up failed: ${String(error)}`));
    }
  };
  process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));

  const nats = await natsServer(cleanups);
  const machine = await describeMachine({
    natsUrl: nats.url,
    databaseUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
  });
  process.stdout.write(`${name}\n${machineLines(machine).join('\n')}\n\n`);

  const run: BenchmarkRun = {
    name,
    machine,
    natsUrl: nats.url,
    natsPid: nats.pid,
    defer: (cleanup) => cleanups.push(cleanup),
    report: (table) => {
      tables.push(table);
      printTable(table);
    },
    progress,
  };
  try {
    await body(run);
  } catch (error) {
    process.exitCode = 1;
    process.stderr.write(`${name} failed: ${error instanceof Error ? error.stack : error}\n`);
  } finally {
    await cleanUp();
  }
  const loadAtEnd = `load      ${os.loadavg()[0]?.toFixed(2)} (one-minute average at the end)`;
  await saveResults(name, machine, tables, loadAtEnd);
  const met = tables.filter(meetsAllBars).length;
  process.stdout.write(
    `${loadAtEnd}\n${name}: ${met} of ${tables.length} tables meet all their bars\n`,
  );
}

/** Seconds a measured phase lasts: BENCH_SECONDS when set, else the benchmark's default. */
export function phaseSeconds(fallback: number): number {
  const value = Number(process.env.BENCH_SECONDS);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/**
 * BENCH_NATS_URL when set; otherwise a nats-server of the benchmark's own on 127.0.0.1 with a
 * fresh store, so that streams of other runs on the same server (and the storage JetStream
 * reserves for them) cannot interfere.
 */
async function natsServer(
  cleanups: (() => Promise<unknown> | unknown)[],
): Promise<{ url: string; pid: number | null }> {
  const given = process.env.BENCH_NATS_URL;
  if (given) return { url: given, pid: null };
  const server = await NatsServer.start();
  cleanups.push(() => server.destroy());
  return { url: server.url, pid: server.pid };
}

function progress(line: string): void {
  process.stderr.write(`  · ${line}\n`);
}

async function saveResults(
  name: string,
  machine: MachineInfo,
  tables: ResultTable[],
  loadAtEnd: string,
): Promise<void> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const when = new Date().toISOString();
  const markdown = [
    `# ${name} (${when})`,
    '',
    ...[...machineLines(machine), loadAtEnd].map((line) => `    ${line}`),
    '',
    ...tables.map((table) => `${renderMarkdown(table)}\n`),
  ].join('\n');
  const file = path.join(RESULTS_DIR, fileName(name));
  await writeFile(`${file}.md`, markdown);
  await writeFile(
    `${file}.json`,
    `${JSON.stringify({ name, when, machine, loadAtEnd, tables }, jsonFigures, 2)}\n`,
  );
}

/** `Audit catch-up` → `audit-catch-up`: a name that needs no quoting in a shell. */
function fileName(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'benchmark'
  );
}

/** Bars become their text, and NaN (a figure that could not be measured) becomes null. */
function jsonFigures(key: string, value: unknown): unknown {
  if (key === 'bar' && typeof value === 'object' && value !== null) {
    return (value as { text: string }).text;
  }
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}
