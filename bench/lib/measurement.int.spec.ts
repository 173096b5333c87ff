import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CpuMeter, cpuMs } from './cpu';
import { startArrivalClock, type ArrivalClock } from './receiver';
import { RssSampler, readResident } from './rss';

function busy(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) Math.sqrt(Math.random());
}

describe('process measurements on this machine', () => {
  let metrics: Server;
  let metricsUrl: string;
  let clock: ArrivalClock;

  beforeAll(async () => {
    metrics = createServer((_request, response) => {
      response.end('# HELP x\nkera_process_resident_memory_bytes 123456789\nother 1\n');
    });
    await new Promise<void>((resolve) => metrics.listen(0, '127.0.0.1', resolve));
    metricsUrl = `http://127.0.0.1:${(metrics.address() as AddressInfo).port}/metrics`;
    clock = await startArrivalClock((body) => (body.startsWith('key=') ? body.slice(4) : null));
  });

  afterAll(async () => {
    await new Promise((resolve) => metrics.close(resolve));
    await clock.close();
  });

  it('reads resident memory from /proc by pid, else from the metrics endpoint', async () => {
    const own = await readResident({ name: 'self', pid: process.pid });
    expect(own?.source).toBe('proc');
    expect(own?.bytes).toBeGreaterThan(1024 * 1024);

    const scraped = await readResident({ name: 'remote', metricsUrl });
    expect(scraped).toEqual({ bytes: 123456789, source: 'metrics' });

    expect(await readResident({ name: 'gone', pid: 2 ** 22 + 1 })).toBeNull();
  });

  it('reports each target’s peak in the order given, null for one never read', async () => {
    const sampler = new RssSampler(
      [
        { name: 'self', pid: process.pid },
        { name: 'remote', metricsUrl },
        { name: 'gone', pid: 2 ** 22 + 1 },
      ],
      10,
    );
    sampler.start();
    await new Promise((resolve) => setTimeout(resolve, 50));

    const peaks = await sampler.stop();

    expect(peaks.map((peak) => [peak.name, peak.source])).toEqual([
      ['self', 'proc'],
      ['remote', 'metrics'],
      ['gone', 'none'],
    ]);
    expect(peaks[0]?.peakBytes).toBeGreaterThan(1024 * 1024);
    expect(peaks[1]?.peakBytes).toBe(123456789);
    expect(peaks[2]?.peakBytes).toBeNull();
  });

  it('counts the CPU time a process spends between start and stop', async () => {
    const meter = new CpuMeter([{ name: 'self', pid: process.pid }]);
    await meter.start();
    busy(200);

    const [self] = await meter.stop();

    expect(self?.name).toBe('self');
    expect(self?.cpuMs).toBeGreaterThan(0);
    expect(await cpuMs(2 ** 22 + 1)).toBeNaN();
  });

  it('counts the processes of a target that lived through the phase, and NaN for none', async () => {
    const meter = new CpuMeter([
      { name: 'some', pid: [process.pid, 2 ** 22 + 1] },
      { name: 'none', pid: [2 ** 22 + 1] },
    ]);
    await meter.start();
    busy(100);

    const [some, none] = await meter.stop();

    expect(some?.cpuMs).toBeGreaterThan(0);
    expect(none?.cpuMs).toBeNaN();
  });

  it('records when each POST arrived under the key found in its body', async () => {
    const post = (body: string) => fetch(clock.url, { method: 'POST', body });
    const answers = await Promise.all([post('key=a'), post('key=a'), post('no key')]);

    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(await clock.waitFor(3, 5000)).toBe(true);
    expect(clock.received()).toBe(3);
    expect(clock.arrivals.get('a')).toHaveLength(2);
    expect([...clock.arrivals.keys()]).toEqual(['a']);
    expect(await clock.waitFor(4, 50)).toBe(false);
  });
});
