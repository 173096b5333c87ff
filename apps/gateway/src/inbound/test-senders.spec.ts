import { createHmac, randomUUID } from 'node:crypto';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { Webhook } from 'standardwebhooks';
import { parseEvent, type CreatedIntegration, type KeraEvent } from '@kera/contracts';
import type { IsolatedEnvironment, RunningSystem } from '@kera/testing';

// Senders for the inbound integration tests, built the way GitHub, GitLab and Standard Webhooks
// senders build their requests: signatures come from node:crypto and the standardwebhooks
// package, independently of the gateway's code. Named .spec.ts so that the build leaves it out;
// it holds no tests itself.

/** Creates an integration through the API and returns the one answer that shows its secret. */
export async function createIntegration(
  system: RunningSystem,
  input: { provider: 'github' | 'gitlab' | 'generic'; name: string; project?: string },
): Promise<CreatedIntegration> {
  const response = await system.api('/api/integrations', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  if (response.status !== 201) {
    throw new Error(
      `creating an integration answered ${response.status}: ${await response.text()}`,
    );
  }
  return (await response.json()) as CreatedIntegration;
}

/**
 * The gateway's path of an integration's URL, whether it was given as a path or as a full URL
 * under KERA_PUBLIC_URL (whose own path a proxy in front of the gateway would remove).
 */
export function pathOf(url: string): string {
  const path = url.startsWith('/') ? url : new URL(url).pathname;
  return path.slice(path.indexOf('/webhooks/inbound/'));
}

/** POSTs a body to an inbound URL of the system's gateway, without the admin token. */
export function deliver(
  system: RunningSystem,
  url: string,
  body: string | Buffer,
  headers: Record<string, string>,
): Promise<Response> {
  return fetch(`${system.gatewayUrl}${pathOf(url)}`, { method: 'POST', headers, body });
}

export function hubSignature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Headers of a GitHub delivery signed with `secret`. */
export function githubHeaders(
  secret: string,
  body: string | Buffer,
  options: { event?: string; delivery?: string; contentType?: string } = {},
): Record<string, string> {
  return {
    'content-type': options.contentType ?? 'application/json',
    'user-agent': 'GitHub-Hookshot/2b1d3f0',
    'x-github-event': options.event ?? 'push',
    'x-github-delivery': options.delivery ?? randomUUID(),
    'x-github-hook-id': '292430182',
    'x-hub-signature-256': hubSignature(secret, body),
  };
}

/** Headers of a GitLab delivery authenticated with its secret token. */
export function gitlabTokenHeaders(
  token: string,
  options: { event?: string; uuid?: string } = {},
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'GitLab/17.5.0',
    'x-gitlab-event': options.event ?? 'Push Hook',
    'x-gitlab-event-uuid': options.uuid ?? randomUUID(),
    'x-gitlab-token': token,
  };
}

/** Standard Webhooks headers signed with `secret` by the standardwebhooks package. */
export function standardHeaders(
  secret: string,
  body: string | Buffer,
  options: { id?: string; at?: Date } = {},
): Record<string, string> {
  const id = options.id ?? `msg_${randomUUID()}`;
  const at = options.at ?? new Date();
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}

/** Reads what the services appended to the run's streams. */
export class StreamReader {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly environment: IsolatedEnvironment,
  ) {}

  static async open(environment: IsolatedEnvironment): Promise<StreamReader> {
    const nc = await connect({ servers: environment.natsUrl });
    return new StreamReader(nc, await nc.jetstreamManager(), environment);
  }

  /** The JetStream manager, to look at or change a stream. */
  manager(): JetStreamManager {
    return this.jsm;
  }

  /** Every event of the stream, in order. */
  async events(key: 'INBOUND' | 'INTEGRATIONS'): Promise<KeraEvent[]> {
    const stream = this.environment.naming.stream(key);
    const { state } = await this.jsm.streams.info(stream);
    const events: KeraEvent[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq += 1) {
      const message = await this.jsm.streams.getMessage(stream, { seq });
      const event = parseEvent(message.data);
      if (event) events.push(event);
    }
    return events;
  }

  /** The bytes of an object in an object store bucket, or null when it has none by that name. */
  async object(bucket: string, name: string): Promise<Uint8Array | null> {
    const store = await this.nc.jetstream().views.os(bucket);
    return store.getBlob(name);
  }

  /** Deletes the object store bucket, if the run made one. */
  async removeBucket(bucket: string): Promise<void> {
    await this.jsm.streams.delete(`OBJ_${bucket}`).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}
