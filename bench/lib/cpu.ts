import { readFile } from 'node:fs/promises';

/** A process (or several, counted together) whose CPU time a phase of a benchmark measures. */
export interface CpuTarget {
  name: string;
  pid: number | readonly number[];
}

/** Kernel clock ticks per second in /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system) each target spends between `start()` and `stop()`. Unlike rates and
 * latencies, this hardly changes when other work shares the machine, which makes it the figure
 * to compare across runs. Of a target of several processes, those that ended in between (a
 * pooled database connection closed) are left out. Linux only: elsewhere every reading is NaN.
 */
export class CpuMeter {
  private begin = new Map<number, number>();

  constructor(private readonly targets: readonly CpuTarget[]) {}

  async start(): Promise<void> {
    this.begin = await this.read();
  }

  /** Milliseconds of CPU per target since start(), in the order the targets were given. */
  async stop(): Promise<{ name: string; cpuMs: number }[]> {
    const end = await this.read();
    return this.targets.map(({ name, pid }) => {
      const spent = pidsOf(pid)
        .map((one) => (end.get(one) ?? Number.NaN) - (this.begin.get(one) ?? Number.NaN))
        .filter((ms) => Number.isFinite(ms));
      const cpuMs = spent.length === 0 ? Number.NaN : spent.reduce((sum, ms) => sum + ms, 0);
      return { name, cpuMs };
    });
  }

  private async read(): Promise<Map<number, number>> {
    const pids = [...new Set(this.targets.flatMap((target) => pidsOf(target.pid)))];
    return new Map(await Promise.all(pids.map(async (pid) => [pid, await cpuMs(pid)] as const)));
  }
}

function pidsOf(pid: CpuTarget['pid']): readonly number[] {
  return typeof pid === 'number' ? [pid] : pid;
}

/** CPU milliseconds the process has used so far; NaN when it cannot be read. */
export async function cpuMs(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}
