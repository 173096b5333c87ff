import { isRecord, type ProblemDetails } from '@kera/contracts';
import { CliError, EXIT, ProblemError } from './errors';

const TIMEOUT_MS = 30_000;

export interface RequestOptions {
  method?: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  yaml?: string;
}

/** The gateway's admin API over HTTP, with the bearer token; problems become ProblemError. */
export class GatewayClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  /** The parsed JSON answer, the text of a non-JSON answer, or null for an empty one. */
  async request<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
    const url = this.url(path, options.query);
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.yaml !== undefined) {
      headers['content-type'] = 'application/yaml';
      body = options.yaml;
    }

    let response: Response;
    try {
      response = await fetch(url, {
        method: options.method ?? 'GET',
        headers,
        body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new CliError(
        `cannot reach the gateway at ${this.baseUrl} (${reason(error)}); is it running? (--url)`,
        EXIT.unreachable,
      );
    }
    return (await this.read(response)) as T;
  }

  private url(path: string, query: RequestOptions['query'] = {}): string {
    const url = new URL(path, this.baseUrl);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  private async read(response: Response): Promise<unknown> {
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    const parsed = type.includes('json') && text ? safeJson(text) : text || null;
    if (response.ok) return parsed;
    if (isProblem(parsed)) throw new ProblemError(parsed);
    throw new ProblemError({
      type: 'about:blank',
      title: response.statusText || 'Error',
      status: response.status,
      detail: typeof parsed === 'string' && parsed ? parsed.slice(0, 500) : 'no details given',
    });
  }
}

function isProblem(value: unknown): value is ProblemDetails {
  return isRecord(value) && typeof value.status === 'number' && typeof value.detail === 'string';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function reason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
