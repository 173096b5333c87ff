import { createHmac } from 'node:crypto';
import { standardWebhookSignature } from '@kera/domain';
import type { InboundHeaders, InboundRequest, InboundVerdict, VerifiedInbound } from './types';

// Requests as GitHub, GitLab and Standard Webhooks senders build them, shared by the unit
// specs (named .spec.ts so that the build leaves it out; it holds no tests itself). Signatures
// are computed here with node:crypto and the domain library, independently of the code under
// test.

export const SECRET = 'current-secret-7f3a9c1e5b2d';
export const PREVIOUS_SECRET = 'previous-secret-0c4e8a2f6d1b';
export const NOW = 1_780_000_000;
export const DELIVERY_ID = '72d3162e-cc78-11e3-81ab-4c9367dc0958';

export const GITHUB_BODY = JSON.stringify({
  ref: 'refs/heads/feature/ker-42-login',
  commits: [{ id: 'a1b2c3', message: 'Fix login timeout, fixes KER-42' }],
});
export const GENERIC_BODY = JSON.stringify({ type: 'build.finished', data: { status: 'ok' } });

/** How a test request differs from a valid one; `headers` apply after signing. */
export interface Variant {
  body?: Buffer | string;
  headers?: InboundHeaders;
  secrets?: readonly string[];
  signWith?: string;
  timestamp?: number;
  nowSeconds?: number;
}

export function hubSignature(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function githubRequest(variant: Variant = {}): InboundRequest {
  const body = Buffer.from(variant.body ?? GITHUB_BODY);
  const signed: InboundHeaders = {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/2b1d3f0',
    'x-github-event': 'push',
    'x-github-delivery': DELIVERY_ID,
    'x-github-hook-id': '292430182',
    'x-github-hook-installation-target-id': '79929171',
    'x-github-hook-installation-target-type': 'repository',
    'x-hub-signature': 'sha1=0000000000000000000000000000000000000000',
    'x-hub-signature-256': hubSignature(variant.signWith ?? SECRET, body),
  };
  return finish('github', body, signed, variant);
}

export function gitlabTokenRequest(variant: Variant = {}): InboundRequest {
  const body = Buffer.from(variant.body ?? GITHUB_BODY);
  const headers: InboundHeaders = {
    ...gitlabHeaders(),
    'x-gitlab-token': variant.signWith ?? SECRET,
  };
  return finish('gitlab', body, headers, variant);
}

export function gitlabSignedRequest(variant: Variant = {}): InboundRequest {
  const body = Buffer.from(variant.body ?? GITHUB_BODY);
  const headers: InboundHeaders = {
    ...gitlabHeaders(),
    ...standardHeaders(body, variant, 'msg_gitlab_1'),
  };
  return finish('gitlab', body, headers, variant);
}

export function genericRequest(variant: Variant = {}): InboundRequest {
  const body = Buffer.from(variant.body ?? GENERIC_BODY);
  const headers: InboundHeaders = {
    'content-type': 'application/json',
    'user-agent': 'Svix-Webhooks/1.0',
    ...standardHeaders(body, variant, 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W'),
  };
  return finish('generic', body, headers, variant);
}

export function standardHeaders(
  body: Buffer,
  variant: Variant,
  id: string,
): Record<string, string> {
  const timestamp = variant.timestamp ?? NOW;
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': standardWebhookSignature(variant.signWith ?? SECRET, id, timestamp, body),
  };
}

/** Narrows an answer to a verified delivery, failing the test with the refusal otherwise. */
export function verified(answer: InboundVerdict): VerifiedInbound {
  if (!answer.ok) throw new Error(`expected a verified delivery, got ${answer.reason}`);
  return answer;
}

/** A small seeded generator (mulberry32), so that random cases repeat from run to run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gitlabHeaders(): InboundHeaders {
  return {
    'content-type': 'application/json',
    'user-agent': 'GitLab/17.5.0',
    'x-gitlab-event': 'Merge Request Hook',
    'x-gitlab-event-uuid': '13792a34-cac6-4fda-95a8-c58e00a3954e',
    'x-gitlab-instance': 'https://gitlab.example.com',
    'x-gitlab-webhook-uuid': '4ad3e4b5-6c2a-4c1f-9a47-d0c3f5c2e8a1',
  };
}

function finish(
  provider: InboundRequest['provider'],
  body: Buffer,
  signed: InboundHeaders,
  variant: Variant,
): InboundRequest {
  return {
    provider,
    headers: { ...signed, ...variant.headers },
    body,
    secrets: variant.secrets ?? [SECRET, PREVIOUS_SECRET],
    nowSeconds: variant.nowSeconds ?? NOW,
  };
}
