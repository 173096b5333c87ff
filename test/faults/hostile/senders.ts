import { createHmac, randomUUID } from 'node:crypto';

export type Provider = 'github' | 'gitlab' | 'generic';

/** An integration as a sender knows it: its URL path and its secret. */
export interface InboundTarget {
  provider: Provider;
  path: string;
  secret: string;
}

export type HeaderList = [string, string][];

export interface SignOptions {
  deliveryId?: string;
  event?: string;
  contentType?: string;
  /** Standard Webhooks timestamp (seconds); now by default. */
  timestampSeconds?: number;
  /** Sign these bytes instead of the body (a signature of something else). */
  signedBytes?: Buffer;
  /** Sign with this secret instead of the integration's. */
  secret?: string;
}

/**
 * The headers a well-behaved sender of the provider puts on a body, built
 * here from node:crypto the way GitHub, GitLab and Standard Webhooks do it,
 * independently of the gateway's own code.
 */
export function signedHeaders(
  target: InboundTarget,
  body: Buffer,
  options: SignOptions = {},
): HeaderList {
  const contentType: HeaderList = [['Content-Type', options.contentType ?? 'application/json']];
  const secret = options.secret ?? target.secret;
  const signed = options.signedBytes ?? body;
  const id = options.deliveryId ?? randomUUID();
  switch (target.provider) {
    case 'github':
      return [
        ...contentType,
        ['X-GitHub-Event', options.event ?? 'push'],
        ['X-GitHub-Delivery', id],
        ['X-Hub-Signature-256', hubSignature(secret, signed)],
      ];
    case 'gitlab':
      return [
        ...contentType,
        ['X-Gitlab-Event', options.event ?? 'Push Hook'],
        ['X-Gitlab-Event-UUID', id],
        ['X-Gitlab-Token', secret],
      ];
    case 'generic': {
      const timestamp = options.timestampSeconds ?? Math.floor(Date.now() / 1000);
      return [
        ...contentType,
        ['webhook-id', id],
        ['webhook-timestamp', String(timestamp)],
        ['webhook-signature', standardSignature(secret, id, timestamp, signed)],
      ];
    }
  }
}

export function hubSignature(secret: string, body: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** `v1,<base64 HMAC-SHA256>` over `<id>.<timestamp>.<body>` with the whsec_ key's bytes. */
export function standardSignature(
  secret: string,
  id: string,
  timestamp: number,
  body: Buffer,
): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body);
  return `v1,${mac.digest('base64')}`;
}

/** A body the provider would send for an event the system does not act on. */
export function ordinaryBody(provider: Provider): Record<string, unknown> {
  switch (provider) {
    case 'github':
      return {
        zen: 'Keep it logically awesome.',
        hook_id: 1,
        repository: { full_name: 'acme/api' },
      };
    case 'gitlab':
      return { object_kind: 'note', project: { path_with_namespace: 'acme/web' } };
    case 'generic':
      return { type: 'build.finished', data: { status: 'ok' } };
  }
}

/** The header that carries the delivery id (the deduplication key) for the provider. */
export function deliveryHeader(provider: Provider): string {
  return { github: 'X-GitHub-Delivery', gitlab: 'X-Gitlab-Event-UUID', generic: 'webhook-id' }[
    provider
  ];
}

/** The header that carries the signature or token for the provider. */
export function authHeader(provider: Provider): string {
  return { github: 'X-Hub-Signature-256', gitlab: 'X-Gitlab-Token', generic: 'webhook-signature' }[
    provider
  ];
}

/** The header that names the event, when the provider has one (generic senders name it in the body). */
export function eventHeader(provider: Provider): string | null {
  return { github: 'X-GitHub-Event', gitlab: 'X-Gitlab-Event', generic: null }[provider];
}
