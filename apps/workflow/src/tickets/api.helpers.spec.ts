import { connect, type NatsConnection } from 'nats';
import { parseEvent, type KeraEvent, type StreamKey } from '@kera/contracts';
import { nextOnSubject } from '@kera/jetstream';
import type { RunningSystem } from '@kera/testing';

/** Helpers of the workflow service's integration tests: its HTTP API and its streams. */

export interface Answer<T = any> {
  status: number;
  contentType: string;
  body: T;
}

/** Calls the gateway with the admin token and reads the answer, JSON or not. */
export async function call(
  system: RunningSystem,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const json = body !== undefined && typeof body !== 'string';
  const response = await system.api(path, {
    method,
    headers: json ? { 'content-type': 'application/json', ...headers } : headers,
    body: json ? JSON.stringify(body) : (body as string | undefined),
  });
  const contentType = response.headers.get('content-type') ?? '';
  const text = await response.text();
  const parsed = contentType.includes('json') && text ? JSON.parse(text) : text;
  return { status: response.status, contentType, body: parsed };
}

export function putWorkflow(system: RunningSystem, project: string, yaml: string) {
  return call(system, 'PUT', `/api/projects/${project}/workflow`, yaml, {
    'content-type': 'application/yaml',
  });
}

export function createTicket(system: RunningSystem, project: string, extra: object = {}) {
  return call(system, 'POST', '/api/tickets', { project, title: 'Fix login timeout', ...extra });
}

export function transition(system: RunningSystem, id: string, to: string) {
  return call(system, 'POST', `/api/tickets/${id}/transitions`, { to, actor: 'max@example.com' });
}

/** A workflow with the given moves, as `from -> to` pairs; the first state is initial. */
export function workflowYaml(...moves: [string, string][]): string {
  const quoted = (state: string) => JSON.stringify(state);
  const lines = moves.flatMap(([from, to]) => [
    `  - from: ${quoted(from)}`,
    `    to: ${quoted(to)}`,
  ]);
  return ['transitions:', ...lines, ''].join('\n');
}

/** A connection to the test run's NATS, closed by `close()`. */
export async function natsOf(system: RunningSystem): Promise<NatsConnection> {
  return connect({ servers: system.environment.natsUrl });
}

/** Every event stored on one subject of a stream, in order. */
export async function eventsOn(
  nc: NatsConnection,
  system: RunningSystem,
  stream: StreamKey,
  subject: string,
): Promise<(KeraEvent & { seq: number })[]> {
  const jsm = await nc.jetstreamManager();
  const name = system.environment.naming.stream(stream);
  const events: (KeraEvent & { seq: number })[] = [];
  for (let from = 1; ;) {
    const message = await nextOnSubject(jsm, name, subject, from);
    if (!message) return events;
    const event = parseEvent(message.data);
    if (event) events.push({ ...event, seq: message.seq });
    from = message.seq + 1;
  }
}

/** How many messages each subject matching the filter holds. */
export async function subjectCounts(
  nc: NatsConnection,
  system: RunningSystem,
  stream: StreamKey,
  filter: string,
): Promise<Record<string, number>> {
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info(system.environment.naming.stream(stream), {
    subjects_filter: filter,
  });
  return info.state.subjects ?? {};
}

/** Counts of each HTTP status among the answers. */
export function statusCounts(answers: Answer[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of answers) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}
