import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { MIGRATIONS } from './migrations';
import { PooledDataSource } from './pooled-data-source';

/** Raised when Postgres cannot be used; the message says what to do. */
export class DatabaseUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

/** Creates the database named in the URL when it does not exist yet. */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, '')) || 'postgres';
  const admin = new URL(url);
  admin.pathname = '/postgres';

  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new DatabaseUnavailableError(
      `Postgres is not reachable at ${redactUrl(url)}: start PostgreSQL or set DATABASE_URL`,
      { cause: error },
    );
  }
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await createDatabase(client, name);
  } finally {
    await client.end();
  }
}

async function createDatabase(client: Client, name: string): Promise<void> {
  try {
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (error) {
    // Another process created it between the check and now: Postgres says
    // so as duplicate_database, or as a unique violation in pg_database when
    // both commands ran at the same moment.
    const code = (error as { code?: string }).code;
    if (code !== '42P04' && code !== '23505') throw error;
  }
}

export interface DataSourceOptions {
  url: string;
  poolSize?: number;
  applicationName?: string;
}

/**
 * The TypeORM data source of every service: migrations only, never synchronize; plain queries
 * go straight to the connection pool (see PooledDataSource).
 */
export function createDataSource(options: DataSourceOptions): DataSource {
  return new PooledDataSource({
    type: 'postgres',
    url: options.url,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: 'kera_migrations',
    logging: false,
    applicationName: options.applicationName ?? 'kera',
    extra: { max: options.poolSize ?? 10, connectionTimeoutMillis: 5000 },
  });
}

const MIGRATION_LOCK = 7_391_042_001;

/**
 * Applies pending migrations under an advisory lock, so that several
 * services starting at once apply each migration exactly once.
 */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}

/** Ensures the database, connects and migrates; the common start-up of every service. */
export async function openDatabase(options: DataSourceOptions): Promise<DataSource> {
  await ensureDatabase(options.url);
  const dataSource = createDataSource(options);
  try {
    await dataSource.initialize();
  } catch (error) {
    throw new DatabaseUnavailableError(
      `Postgres is not reachable at ${redactUrl(options.url)}: start PostgreSQL or set DATABASE_URL`,
      { cause: error },
    );
  }
  await migrate(dataSource);
  return dataSource;
}

/** A URL fit for logs: the password is replaced. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = 'redacted';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
