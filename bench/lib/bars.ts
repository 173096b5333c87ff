/** A quality bar of SPEC section 9: its wording in a table and whether a row meets it. */
export interface Bar {
  text: string;
  met(figure: number, ratio: number | null): boolean;
}

/** Met when the figure is at least `share` of the baseline measured in the same run. */
export function atLeastShareOfBaseline(share: number): Bar {
  return {
    text: `≥ ${Math.round(share * 100)} % of baseline`,
    met: (_figure, ratio) => ratio !== null && ratio >= share,
  };
}

/** Met when the figure is strictly below the limit. */
export function under(limit: number, unit: string): Bar {
  return {
    text: `< ${limit.toLocaleString('en-US')} ${unit}`,
    met: (figure) => figure < limit,
  };
}

/** The bars of SPEC section 9 that benchmarks measure, named after what they bound. */
export const BARS = {
  /** Ingress: verified, stored and answered webhooks per second against a bare node:http server. */
  ingressRate: atLeastShareOfBaseline(0.7),
  /** Ingress: p99 latency at half of the bare server's rate. */
  ingressP99AtHalfRate: under(25, 'ms'),
  /** End to end: transition command to outbound POST received, at 200 transitions/s. */
  endToEndP50: under(10, 'ms'),
  endToEndP99: under(50, 'ms'),
  /** Isolation: delivery rate to healthy receivers with a dead one, against healthy ones only. */
  isolationRate: atLeastShareOfBaseline(0.9),
  /** Audit: catch-up projection rate against a bare batched INSERT … ON CONFLICT DO NOTHING. */
  auditCatchUpRate: atLeastShareOfBaseline(0.5),
  /** Audit: live projection lag. */
  auditLiveLagP99: under(1000, 'ms'),
  /** Memory: resident set of each service through the runs. */
  serviceRss: under(200, 'MB'),
} as const;
