import { MetricsRegistry } from '@kera/service';
import { InboundMetrics } from './inbound-metrics';

describe('inbound metrics', () => {
  let registry: MetricsRegistry;
  let metrics: InboundMetrics;

  beforeEach(() => {
    registry = new MetricsRegistry();
    metrics = new InboundMetrics(registry);
  });

  async function text(): Promise<string> {
    return registry.registry.metrics();
  }

  it('counts verified deliveries by provider, event and outcome', async () => {
    metrics.delivered('github', 'push', 'accepted');
    metrics.delivered('github', 'push', 'accepted');

    expect(await text()).toContain(
      'kera_inbound_requests_total{provider="github",event="push",outcome="accepted"} 2',
    );
  });

  it('counts refusals by reason without trusting the event they claim', async () => {
    metrics.refused('gitlab', 'token_mismatch');

    const output = await text();
    expect(output).toContain(
      'kera_inbound_requests_total{provider="gitlab",event="unverified",outcome="rejected"} 1',
    );
    expect(output).toContain(
      'kera_inbound_verification_failures_total{provider="gitlab",reason="token_mismatch"} 1',
    );
  });

  it('labels at most 200 distinct event names and odd names as other', async () => {
    for (let i = 0; i < 250; i += 1) metrics.delivered('generic', `event.${i}`, 'accepted');
    metrics.delivered('generic', 'has "quotes"', 'accepted');

    const output = await text();
    expect(output).toContain('event="event.199"');
    expect(output).not.toContain('event="event.200"');
    expect(output).toContain(
      'kera_inbound_requests_total{provider="generic",event="other",outcome="accepted"} 51',
    );
  });

  it('observes body sizes in a histogram', async () => {
    metrics.bodyRead('github', 7000);

    expect(await text()).toContain(
      'kera_inbound_body_bytes_bucket{le="16384",provider="github"} 1',
    );
  });
});
