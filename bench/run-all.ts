/**
 * `npm run bench`: every benchmark of SPEC section 9 that exists in this checkout, one after
 * another, each starting and stopping everything it needs. The workspace and bench/ are built
 * once before (by the npm script); each benchmark runs from its compiled entry.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '@kera/testing';
import { RESULTS_DIR } from './lib';

/** The benchmarks in the order they run: the npm script that runs one alone, and its entry. */
const BENCHMARKS = [
  { script: 'bench:ingress', entry: 'ingress' },
  { script: 'bench:e2e', entry: 'end-to-end' },
  { script: 'bench:isolation', entry: 'dispatcher-isolation' },
  { script: 'bench:audit', entry: 'audit-catchup' },
  { script: 'bench:history', entry: 'ticket-history' },
] as const;

async function main(): Promise<void> {
  const outcomes: string[] = [];
  let failed = false;
  for (const { script, entry } of BENCHMARKS) {
    const file = path.join(ROOT, 'dist', 'bench', `${entry}.js`);
    if (!existsSync(file)) {
      outcomes.push(`${script}: not in this checkout`);
      continue;
    }
    process.stdout.write(`\n=== ${script} ===\n`);
    const code = await run(file);
    failed ||= code !== 0;
    outcomes.push(`${script}: ${code === 0 ? 'done' : `failed (exit ${code})`}`);
  }
  process.stdout.write(`\n${outcomes.join('\n')}\nresults: ${RESULTS_DIR}\n`);
  process.exitCode = failed ? 1 : 0;
}

function run(file: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', path.join(ROOT, 'tools', 'register.js'), file], {
      stdio: 'inherit',
    });
    // Ctrl-C reaches the child through the terminal; it cleans up and exits.
    const ignore = () => undefined;
    process.on('SIGINT', ignore);
    child.once('exit', (code, signal) => {
      process.removeListener('SIGINT', ignore);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

void main();
