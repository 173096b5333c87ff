import { hostname } from 'node:os';

/**
 * Every setting comes from the environment, is validated at start-up and has
 * a documented default. `CONFIG_VARIABLES` is the single list: the README's
 * table, the deploy manifests' tests and the parser all read it.
 */
export interface KeraConfig {
  natsUrl: string;
  databaseUrl: string;
  port: number;
  healthPort: number | null;
  adminToken: string | null;
  publicUrl: string | null;
  outboundAllow: string[];
  logLevel: LogLevel;
  subjectRoot: string;
  streamPrefix: string;
  streamReplicas: number;
  /** Bytes all of the installation's streams may hold together (reserved on the NATS server). */
  jetstreamMaxBytes: number;
  dispatchConcurrency: number;
  inboundMaxBytes: number;
  /** How long an integration's previous secret keeps verifying after a rotation. */
  rotationGraceSeconds: number;
  instanceId: string;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ConfigVariable {
  name: string;
  default: string;
  description: string;
}

export const CONFIG_VARIABLES: readonly ConfigVariable[] = [
  {
    name: 'NATS_URL',
    default: 'nats://127.0.0.1:4222',
    description: 'NATS server(s), comma-separated; JetStream must be on',
  },
  {
    name: 'DATABASE_URL',
    default: 'postgres://postgres@127.0.0.1:5432/kera',
    description: 'Postgres database; created at start-up when missing',
  },
  {
    name: 'PORT',
    default: '8080',
    description: 'gateway HTTP port (API, inbound webhooks, dashboard)',
  },
  {
    name: 'KERA_HEALTH_PORT',
    default: 'workflow 8081, dispatcher 8082, audit 8083',
    description:
      'HTTP port of a worker service for /healthz, /readyz and /metrics; 0 picks a free one',
  },
  {
    name: 'KERA_ADMIN_TOKEN',
    default: '(generated once by npm start)',
    description: 'bearer token for /api/*',
  },
  {
    name: 'KERA_PUBLIC_URL',
    default: '(unset)',
    description: 'external base URL, used to print full inbound webhook URLs',
  },
  {
    name: 'KERA_OUTBOUND_ALLOW',
    default: '(empty)',
    description:
      'comma-separated CIDRs outbound POSTs may reach despite the private-address guard, e.g. 127.0.0.0/8',
  },
  {
    name: 'LOG_LEVEL',
    default: 'info',
    description: 'fatal, error, warn, info, debug, trace or silent',
  },
  { name: 'KERA_SUBJECT_ROOT', default: 'kera', description: 'first token of every NATS subject' },
  {
    name: 'KERA_STREAM_PREFIX',
    default: 'KERA',
    description: 'prefix of every stream and durable consumer name',
  },
  {
    name: 'KERA_STREAM_REPLICAS',
    default: '1',
    description: 'JetStream replicas per stream (3 on a 3-node cluster)',
  },
  {
    name: 'KERA_JETSTREAM_MAX_BYTES',
    default: '8589934592',
    description:
      "bytes all of the installation's streams may hold together (8 GiB), reserved on the NATS server and split among the streams",
  },
  {
    name: 'KERA_DISPATCH_CONCURRENCY',
    default: '64',
    description: 'outbound POSTs in flight per dispatcher instance',
  },
  {
    name: 'KERA_INBOUND_MAX_BYTES',
    default: '26214400',
    description: 'largest inbound webhook body accepted (25 MiB)',
  },
  {
    name: 'KERA_ROTATION_GRACE_SECONDS',
    default: '86400',
    description:
      "how long an integration's previous secret keeps verifying after a rotation (24 h)",
  },
  {
    name: 'KERA_INSTANCE_ID',
    default: '<hostname>-<pid>',
    description: 'name of this process in logs and NATS connections',
  },
];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Reads and validates the environment; throws one ConfigError naming every bad variable. */
export function loadConfig(
  env: Env = process.env,
  defaults: { healthPort?: number } = {},
): KeraConfig {
  const problems: string[] = [];
  const read = new EnvReader(env, problems);

  const config: KeraConfig = {
    natsUrl: read.url('NATS_URL', 'nats://127.0.0.1:4222', ['nats:', 'tls:', 'ws:', 'wss:']),
    databaseUrl: read.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/kera', [
      'postgres:',
      'postgresql:',
    ]),
    port: read.int('PORT', 8080, 0, 65535),
    healthPort: env.KERA_HEALTH_PORT
      ? read.int('KERA_HEALTH_PORT', 0, 0, 65535)
      : (defaults.healthPort ?? null),
    adminToken: read.optional('KERA_ADMIN_TOKEN'),
    publicUrl: read.optionalUrl('KERA_PUBLIC_URL', ['http:', 'https:']),
    outboundAllow: read.list('KERA_OUTBOUND_ALLOW'),
    logLevel: read.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    subjectRoot: read.matching('KERA_SUBJECT_ROOT', 'kera', /^[A-Za-z0-9_-]+$/),
    streamPrefix: read.matching('KERA_STREAM_PREFIX', 'KERA', /^[A-Za-z0-9_-]+$/),
    streamReplicas: read.int('KERA_STREAM_REPLICAS', 1, 1, 5),
    jetstreamMaxBytes: read.int('KERA_JETSTREAM_MAX_BYTES', 8 * 1024 ** 3, 64 * 1024 ** 2, 2 ** 50),
    dispatchConcurrency: read.int('KERA_DISPATCH_CONCURRENCY', 64, 1, 10_000),
    inboundMaxBytes: read.int('KERA_INBOUND_MAX_BYTES', 25 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    rotationGraceSeconds: read.int(
      'KERA_ROTATION_GRACE_SECONDS',
      24 * 60 * 60,
      1,
      30 * 24 * 60 * 60,
    ),
    instanceId: read.optional('KERA_INSTANCE_ID') ?? `${hostname()}-${process.pid}`,
  };
  if (config.adminToken !== null && config.adminToken.length < 16) {
    problems.push('KERA_ADMIN_TOKEN must be at least 16 characters');
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  optional(name: string): string | null {
    const value = this.env[name]?.trim();
    return value ? value : null;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.optional(name);
    if (raw === null) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(
        `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`,
      );
      return fallback;
    }
    return value;
  }

  url(name: string, fallback: string, protocols: string[]): string {
    return this.optionalUrl(name, protocols) ?? fallback;
  }

  optionalUrl(name: string, protocols: string[]): string | null {
    const raw = this.optional(name);
    if (raw === null) return null;
    for (const part of raw.split(',')) {
      const parsed = URL.canParse(part.trim()) ? new URL(part.trim()) : null;
      if (!parsed || !protocols.includes(parsed.protocol)) {
        this.problems.push(`${name} must be a URL with scheme ${protocols.join(' or ')}`);
        return null;
      }
    }
    return raw;
  }

  list(name: string): string[] {
    const raw = this.optional(name);
    if (raw === null) return [];
    return raw
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0);
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.optional(name);
    if (raw === null) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')}`);
      return fallback;
    }
    return raw as T;
  }

  matching(name: string, fallback: string, pattern: RegExp): string {
    const raw = this.optional(name);
    if (raw === null) return fallback;
    if (!pattern.test(raw)) {
      this.problems.push(`${name} must match ${pattern.source}`);
      return fallback;
    }
    return raw;
  }
}
