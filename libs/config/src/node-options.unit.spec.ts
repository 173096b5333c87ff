import { serviceEnvironment, serviceNodeOptions } from './node-options';

describe('service process settings', () => {
  it("fixes glibc's mmap threshold unless the environment sets it", () => {
    expect(serviceEnvironment({ PATH: '/usr/bin' })).toEqual({
      PATH: '/usr/bin',
      MALLOC_MMAP_THRESHOLD_: '131072',
    });
    const operator = serviceEnvironment({ MALLOC_MMAP_THRESHOLD_: '65536' });
    expect(operator.MALLOC_MMAP_THRESHOLD_).toBe('65536');
  });

  it('gives V8 options only to the services that need them', () => {
    expect(serviceNodeOptions('gateway')).toContain('--min-semi-space-size=8');
    expect(serviceNodeOptions('workflow')).toEqual([]);
    expect(serviceNodeOptions('unknown')).toEqual([]);
  });
});
