/**
 * Preloaded (`--require`) into a process a benchmark profiles. Node does not accept --cpu-prof
 * in NODE_OPTIONS, so this starts V8's sampling profiler through the inspector and writes a
 * `.cpuprofile` into BENCH_PROFILE_DIR when the process is asked to stop (SIGTERM or SIGINT)
 * or exits, whichever comes first. It only observes: the signal still reaches the process's
 * own handlers, or ends it as it would have without this.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const directory = process.env.BENCH_PROFILE_DIR;
if (directory) startProfiling(directory);

function startProfiling(dir: string): void {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  let written = false;

  // An in-process inspector session answers synchronously, so this works in an exit handler.
  const write = () => {
    if (written) return;
    written = true;
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `${process.pid}-${Date.now()}.cpuprofile`);
      writeFileSync(file, JSON.stringify(result.profile));
    });
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const onSignal = () => {
      write();
      process.removeListener(signal, onSignal);
      // Without other handlers, the signal's default action (ending the process) is due.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
  process.once('exit', write);
}
