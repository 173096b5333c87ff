import { headers as natsHeaders, type NatsConnection } from 'nats';
import {
  UnavailableError,
  errorFromProblem,
  type CommandName,
  type CommandReply,
  type Naming,
} from '@kera/contracts';
import { ReplyInbox } from './reply-inbox';

/** Sends request/reply commands to the service that owns them and unwraps the reply. */
export class CommandClient {
  private inbox: ReplyInbox | null = null;

  constructor(
    private readonly nc: NatsConnection,
    private readonly naming: Naming,
    private readonly timeoutMs = 10_000,
  ) {}

  async request<T>(
    name: CommandName,
    payload: unknown,
    options: { headers?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<T> {
    const { headers, timeoutMs } = options;
    let reply: CommandReply<T>;
    try {
      this.inbox ??= new ReplyInbox(this.nc);
      const msg = await this.inbox.request(this.naming.command(name), JSON.stringify(payload), {
        timeoutMs: timeoutMs ?? this.timeoutMs,
        headers: headers ? toNatsHeaders(headers) : undefined,
      });
      reply = msg.json<CommandReply<T>>();
    } catch (error) {
      throw unavailable(name, error);
    }
    if (!reply.ok) throw errorFromProblem(reply.problem);
    return reply.result;
  }
}

function unavailable(name: string, error: unknown): UnavailableError {
  const code = (error as { code?: string }).code;
  const why = code === '503' ? 'no instance is running' : 'it did not answer in time';
  return new UnavailableError(`the service that handles ${name} is not available: ${why}`);
}

function toNatsHeaders(values: Record<string, string>) {
  const h = natsHeaders();
  for (const [key, value] of Object.entries(values)) h.set(key, value);
  return h;
}
