import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { profilingEnv, summarizeProfile } from './profiling';

describe('CPU profiles', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bench-profile-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('adds up busy samples per package, per function and with callees, largest first', async () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });
    const file = path.join(dir, 'one.cpuprofile');
    await writeFile(
      file,
      JSON.stringify({
        nodes: [
          { id: 1, callFrame: frame('(root)', ''), children: [2, 5] },
          {
            id: 2,
            callFrame: frame('accept', 'file:///x/dist/apps/gateway/src/inbound/a.js'),
            children: [3],
          },
          { id: 3, callFrame: frame('parse', 'file:///x/node_modules/pino/lib/tools.js') },
          { id: 4, callFrame: frame('(garbage collector)', '') },
          { id: 5, callFrame: frame('(idle)', '') },
        ],
        // Waiting for a CPU shows as one long gap (9000 µs): it counts as one interval.
        samples: [3, 2, 2, 4, 3, 5, 5, 2],
        timeDeltas: [1000, 1000, 9000, 1000, 1000, 1000, 1000, 1000],
      }),
    );

    const summary = await summarizeProfile(file);

    expect(summary.busyMs).toBe(6);
    expect(summary.packages.map((line) => [line.name, line.ms])).toEqual([
      ['apps/gateway', 3],
      ['pino', 2],
      ['(garbage collector)', 1],
    ]);
    expect(summary.functions[0]?.name).toMatch(/^accept .*a\.js:10$/);
    expect(summary.functions[0]?.share).toBeCloseTo(0.5);
    expect(summary.inclusive[0]?.name).toMatch(/^accept /);
    expect(summary.inclusive[0]?.ms).toBe(5);
  });

  it('profiles only the processes BENCH_PROFILE names', () => {
    const before = process.env.BENCH_PROFILE;
    try {
      process.env.BENCH_PROFILE = 'gateway, baseline server';
      expect(profilingEnv('ingress', 'gateway').NODE_OPTIONS).toMatch(/--require .*cpu-profiler/);
      expect(profilingEnv('ingress', 'gateway').BENCH_PROFILE_DIR).toMatch(/ingress\/gateway$/);
      expect(profilingEnv('ingress', 'baseline server').BENCH_PROFILE_DIR).toMatch(
        /baseline-server$/,
      );
      expect(profilingEnv('ingress', 'audit')).toEqual({});

      process.env.BENCH_PROFILE = 'all';
      expect(profilingEnv('end-to-end', 'audit').BENCH_PROFILE_DIR).toMatch(/end-to-end\/audit$/);
    } finally {
      if (before === undefined) delete process.env.BENCH_PROFILE;
      else process.env.BENCH_PROFILE = before;
    }
  });
});
