import { Client, type ClientBase } from 'pg';

/** First key of every advisory lock of the audit projection ("kera"). */
const LOCK_CLASS = 0x6b657261;
/** Second key of the lock every running instance holds shared, so that instances can be counted. */
const MEMBERSHIP = 0;

/**
 * Server-side settings of the session: a session that stops answering
 * (process frozen, host gone) loses its locks within about half a minute,
 * and another instance takes its streams over.
 */
const SESSION_SETTINGS = [
  'tcp_keepalives_idle=10',
  'tcp_keepalives_interval=5',
  'tcp_keepalives_count=3',
  'idle_in_transaction_session_timeout=30000',
];

export interface WriterSessionOptions {
  url: string;
  /** `application_name` of the session, to tell instances apart in pg_stat_activity. */
  name: string;
}

/**
 * The one Postgres session of an audit instance. It holds the instance's
 * stream leases (session advisory locks) and makes every write, so a write
 * can only happen while its lease is held: when the session ends, the
 * leases and any open transaction end with it.
 */
export class WriterSession {
  private client: Client | null = null;
  private lost = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: WriterSessionOptions) {}

  /** Connected and not lost. */
  get open(): boolean {
    return this.client !== null && !this.lost;
  }

  /** Connects and joins the running instances. */
  async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.options.url,
      application_name: this.options.name,
      connectionTimeoutMillis: 5000,
      keepAlive: true,
      options: SESSION_SETTINGS.map((setting) => `-c ${setting}`).join(' '),
    });
    client.on('error', () => {
      this.lost = true;
    });
    client.on('end', () => {
      this.lost = true;
    });
    await client.connect();
    this.client = client;
    this.lost = false;
    await client.query('SELECT pg_advisory_lock_shared($1, $2)', [LOCK_CLASS, MEMBERSHIP]);
  }

  /** Runs work on the session; work is queued so that one transaction never meets another. */
  run<T>(work: (client: ClientBase) => Promise<T>): Promise<T> {
    const client = this.client;
    if (!client || this.lost) return Promise.reject(new Error('the writer session is not open'));
    const result = this.queue.then(() => work(client));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Audit instances connected now, this one included. */
  async members(): Promise<number> {
    const rows = await this.rows(
      `SELECT count(*)::int AS members FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND classid = $1::oid AND objid = $2::oid
          AND objsubid = 2
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [LOCK_CLASS, MEMBERSHIP],
    );
    return Number(rows[0]?.members ?? 1);
  }

  /** Takes the lease of `key` if no other session holds it. */
  async tryLease(key: number): Promise<boolean> {
    const rows = await this.rows('SELECT pg_try_advisory_lock($1, $2) AS taken', [LOCK_CLASS, key]);
    return rows[0]?.taken === true;
  }

  /** Gives the lease of `key` back. */
  async releaseLease(key: number): Promise<void> {
    await this.rows('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, key]);
  }

  /** Ends the session: its leases are released by Postgres. */
  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.lost = false;
    this.queue = Promise.resolve();
    await client?.end().catch(() => undefined);
  }

  private async rows(sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    return (await this.run((client) => client.query(sql, params))).rows;
  }
}
