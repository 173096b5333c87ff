import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from '@kera/testing';

/** A helper process of a benchmark (a baseline server), started from its compiled script. */
export interface ScriptProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  /** The first line it printed, parsed as JSON: how it tells where it listens. */
  hello: Record<string, unknown>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;

/**
 * Runs `dist/bench/<script>.js` with the given environment on top of this one and waits for
 * its first stdout line, a JSON object.
 */
export async function startScript(
  name: string,
  script: string,
  env: Record<string, string>,
): Promise<ScriptProcess> {
  const main = path.join(ROOT, 'dist', 'bench', `${script}.js`);
  const child = spawn(process.execPath, ['-r', path.join(ROOT, 'tools', 'register.js'), main], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const errors: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => errors.push(chunk.toString()));
  const hello = await firstLine(child).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw new Error(`${name} did not start: ${String(error)}\n${errors.join('').slice(-2000)}`);
  });
  return { name, child, pid: child.pid as number, hello, stop: () => stopChild(child) };
}

function firstLine(child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const timer = setTimeout(() => reject(new Error('no output in time')), READY_TIMEOUT_MS);
    lines.once('line', (line) => {
      clearTimeout(timer);
      lines.close();
      child.stdout?.resume();
      try {
        resolve(JSON.parse(line) as Record<string, unknown>);
      } catch {
        reject(new Error(`unexpected first line: ${line.slice(0, 200)}`));
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
  });
}

/** SIGTERM, then SIGKILL if it has not exited after 10 s. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
