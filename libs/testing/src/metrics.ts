/**
 * The sum of every sample of a metric (all label sets) in a service's
 * /metrics, or null when the metric is absent or the service does not answer.
 */
export async function readMetric(baseUrl: string, name: string): Promise<number | null> {
  try {
    const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) return null;
    const samples = (await response.text())
      .split('\n')
      .filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
      .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)))
      .filter((value) => Number.isFinite(value));
    return samples.length > 0 ? samples.reduce((sum, value) => sum + value, 0) : null;
  } catch {
    return null;
  }
}

/**
 * Samples the resident memory of services (kera_process_resident_memory_bytes)
 * on an interval and keeps the highest value seen per label.
 */
export class MemorySampler {
  readonly peakBytes = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> = Promise.resolve();

  /** @param targets label → base URL, read on every round (so restarts are followed). */
  constructor(private readonly targets: () => ReadonlyMap<string, string>) {}

  start(intervalMs = 1000): void {
    this.timer = setInterval(() => {
      this.round = this.round.then(() => this.sample());
    }, intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.round;
    await this.sample();
  }

  /** Reads every target once. */
  async sample(): Promise<void> {
    await Promise.all(
      [...this.targets()].map(async ([label, url]) => {
        const bytes = await readMetric(url, 'kera_process_resident_memory_bytes');
        if (bytes !== null)
          this.peakBytes.set(label, Math.max(bytes, this.peakBytes.get(label) ?? 0));
      }),
    );
  }
}
