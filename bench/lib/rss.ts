import { readFile } from 'node:fs/promises';
import { BARS } from './bars';
import type { TableRow } from './table';

/** A process whose resident memory is watched: by pid through /proc, else through its metrics. */
export interface RssTarget {
  name: string;
  pid?: number;
  /** A Prometheus endpoint exposing `kera_process_resident_memory_bytes`. */
  metricsUrl?: string;
}

/** The most memory a target held while it was watched. */
export interface RssPeak {
  name: string;
  /** null when no reading succeeded. */
  peakBytes: number | null;
  /** `/proc` (the kernel's high-water mark included) or `metrics` (sampled only). */
  source: 'proc' | 'metrics' | 'none';
}

const MB = 1024 * 1024;
const METRIC = /^kera_process_resident_memory_bytes(?:\{[^}]*\})?\s+([0-9.e+]+)/m;

/**
 * Samples the resident set size of service processes while a benchmark runs. With a pid, the
 * peak also takes in the kernel's high-water mark (VmHWM), so a spike between two samples is
 * not missed; through metrics only the samples count.
 */
export class RssSampler {
  private readonly peaks = new Map<string, number>();
  private readonly sources = new Map<string, RssPeak['source']>();
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> = Promise.resolve();

  constructor(
    private readonly targets: readonly RssTarget[],
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.round = this.round.then(() => this.sample());
    }, this.intervalMs);
  }

  /** Stops sampling and reports each target's peak, in the order the targets were given. */
  async stop(): Promise<RssPeak[]> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.round;
    await this.sample(true);
    return this.targets.map((target) => ({
      name: target.name,
      peakBytes: this.peaks.get(target.name) ?? null,
      source: this.sources.get(target.name) ?? 'none',
    }));
  }

  private async sample(withHighWaterMark = false): Promise<void> {
    await Promise.all(
      this.targets.map(async (target) => {
        const reading = await readResident(target, withHighWaterMark);
        if (!reading) return;
        const peak = Math.max(this.peaks.get(target.name) ?? 0, reading.bytes);
        this.peaks.set(target.name, peak);
        this.sources.set(target.name, reading.source);
      }),
    );
  }
}

/** Table rows for the peaks, in MB, each against the memory bar. */
export function rssRows(peaks: readonly RssPeak[], label = 'peak RSS'): TableRow[] {
  return peaks.map((peak) => ({
    measure: `${peak.name} ${label}`,
    figure: peak.peakBytes === null ? Number.NaN : peak.peakBytes / MB,
    unit: 'MB',
    bar: BARS.serviceRss,
  }));
}

/** The target's resident bytes now (or its high-water mark); null when it cannot be read. */
export async function readResident(
  target: RssTarget,
  highWaterMark = false,
): Promise<{ bytes: number; source: 'proc' | 'metrics' } | null> {
  if (target.pid !== undefined) {
    const fromProc = await procStatusBytes(target.pid, highWaterMark ? 'VmHWM' : 'VmRSS');
    if (fromProc !== null) return { bytes: fromProc, source: 'proc' };
  }
  if (target.metricsUrl !== undefined) {
    const fromMetrics = await metricsBytes(target.metricsUrl);
    if (fromMetrics !== null) return { bytes: fromMetrics, source: 'metrics' };
  }
  return null;
}

async function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kib = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
    return kib === undefined ? null : Number(kib) * 1024;
  } catch {
    // Not Linux, or the process has exited.
    return null;
  }
}

async function metricsBytes(url: string): Promise<number | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    const value = METRIC.exec(await response.text())?.[1];
    return value === undefined ? null : Number(value);
  } catch {
    return null;
  }
}
