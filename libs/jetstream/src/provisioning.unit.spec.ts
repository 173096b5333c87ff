import { DiscardPolicy, nanos } from 'nats';
import { Naming, STREAMS } from '@kera/contracts';
import {
  DEFAULT_JETSTREAM_MAX_BYTES,
  STREAM_POLICIES,
  inboundBodiesMaxBytes,
  streamConfig,
  streamMaxBytes,
} from './provisioning';

const naming = new Naming({ subjectRoot: 'kera', streamPrefix: 'KERA' });
const SOURCE_OF_TRUTH = ['TICKETS', 'WORKFLOWS', 'INTEGRATIONS'] as const;
const RECORDS = ['INBOUND', 'DELIVERIES'] as const;

describe('stream limits', () => {
  it.each(STREAMS)('bounds %s by bytes, with a duplicate window', (key) => {
    const config = streamConfig(naming, key, 1);
    expect(config.max_bytes).toBeGreaterThan(0);
    expect(config.max_bytes).toBe(streamMaxBytes(key));
    expect(config.duplicate_window).toBeGreaterThan(0);
  });

  it('keeps the source of truth forever and refuses writes when full', () => {
    for (const key of SOURCE_OF_TRUTH) {
      const config = streamConfig(naming, key, 1);
      expect(config.discard).toBe(DiscardPolicy.New);
      expect(config.max_age).toBe(0);
    }
  });

  it('ages out records and drops their oldest messages when full', () => {
    for (const key of RECORDS) {
      const config = streamConfig(naming, key, 1);
      expect(config.discard).toBe(DiscardPolicy.Old);
      expect(config.max_age).toBeGreaterThan(config.duplicate_window);
    }
  });

  it('splits no more than the budget among the streams and the inbound bodies store', () => {
    const budget = 1024 ** 3;
    const total =
      STREAMS.reduce((sum, key) => sum + streamMaxBytes(key, budget), 0) +
      inboundBodiesMaxBytes(budget);
    expect(total).toBeLessThanOrEqual(budget);
    const shares = Object.values(STREAM_POLICIES).reduce((sum, policy) => sum + policy.share, 0);
    expect(shares).toBeLessThan(1);
  });

  it('scales every limit with the budget', () => {
    const small = streamConfig(naming, 'TICKETS', 3, 64 * 1024 ** 2);
    const large = streamConfig(naming, 'TICKETS', 3);
    expect(small.max_bytes).toBeLessThan(large.max_bytes);
    expect(large.max_bytes).toBe(Math.floor(DEFAULT_JETSTREAM_MAX_BYTES * 0.35));
    expect(small.num_replicas).toBe(3);
    expect(small.duplicate_window).toBe(nanos(2 * 60 * 1000));
  });
});
