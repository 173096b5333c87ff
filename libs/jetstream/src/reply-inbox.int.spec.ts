import { connect, type NatsConnection } from 'nats';
import { ReplyInbox, RequestFailure } from './reply-inbox';

const root = `inbox_${Date.now().toString(36)}`;

describe('ReplyInbox on a real NATS server', () => {
  let nc: NatsConnection;
  let inbox: ReplyInbox;

  beforeAll(async () => {
    nc = await connect({ servers: '127.0.0.1:4222' });
    // Answers each request with its own payload, reversed, after a delay the payload names.
    nc.subscribe(`${root}.echo`, {
      callback: (_error, message) => {
        const text = message.string();
        setTimeout(() => message.respond(text.split('').reverse().join('')), Number(text) % 20);
      },
    });
    nc.subscribe(`${root}.silent`, { callback: () => undefined });
    await nc.flush();
    inbox = new ReplyInbox(nc);
  });

  afterAll(async () => {
    inbox.close();
    await nc.close();
  });

  it('gives every one of many concurrent requests its own answer', async () => {
    const payloads = Array.from({ length: 500 }, (_, i) => String(1000 + i));
    const answers = await Promise.all(
      payloads.map((payload) => inbox.request(`${root}.echo`, payload, { timeoutMs: 5000 })),
    );
    expect(answers.map((answer) => answer.string())).toEqual(
      payloads.map((payload) => payload.split('').reverse().join('')),
    );
  });

  it('fails at once with code 503 when nobody listens on the subject', async () => {
    const error = await inbox
      .request(`${root}.nobody`, 'x', { timeoutMs: 5000 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RequestFailure);
    expect((error as RequestFailure).code).toBe('503');
  });

  it('fails with TIMEOUT when no answer comes in time; later requests still get theirs', async () => {
    const error = await inbox
      .request(`${root}.silent`, 'x', { timeoutMs: 150 })
      .catch((caught: unknown) => caught);
    expect((error as RequestFailure).code).toBe('TIMEOUT');
    // Later requests are not confused by the one that timed out.
    const answer = await inbox.request(`${root}.echo`, '12', { timeoutMs: 5000 });
    expect(answer.string()).toBe('21');
  });

  it('fails the requests still waiting when closed, and refuses new ones once the connection is', async () => {
    const own = await connect({ servers: '127.0.0.1:4222' });
    const closing = new ReplyInbox(own);
    const waiting = closing
      .request(`${root}.silent`, 'x', { timeoutMs: 60_000 })
      .catch((caught: unknown) => caught);
    await own.flush();
    closing.close();
    expect(((await waiting) as RequestFailure).code).toBe('CONNECTION_CLOSED');

    const other = new ReplyInbox(own);
    await own.close();
    const refused = await other.request(`${root}.echo`, '1', { timeoutMs: 1000 }).catch((e) => e);
    expect((refused as RequestFailure).code).toBe('CONNECTION_CLOSED');
  });
});
