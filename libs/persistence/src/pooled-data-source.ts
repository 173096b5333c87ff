import { DataSource, QueryFailedError, type QueryRunner } from 'typeorm';

/** The part of node-postgres' pool that plain queries use. */
interface PgPool {
  query(
    text: string,
    values?: unknown[],
  ): Promise<{ command: string; rows: unknown[]; rowCount: number | null }>;
}

/**
 * A TypeORM data source whose `query(sql, parameters)` without a query runner goes straight to
 * the driver's connection pool. TypeORM builds a query runner, an event broadcaster and a chain
 * of promises for every such call, for features the services do not use (entity subscribers,
 * query logging): measured at twice the CPU time of the pool's own query, on every hot path.
 * Results and errors keep TypeORM's shape: the rows, `[rows, affected]` for UPDATE and DELETE,
 * and a QueryFailedError carrying the driver's error. Queries in a transaction (with a query
 * runner) run as TypeORM runs them.
 */
export class PooledDataSource extends DataSource {
  override async query<T = unknown>(
    sql: string,
    parameters?: unknown[],
    queryRunner?: QueryRunner,
  ): Promise<T> {
    const pool = this.pool();
    if (queryRunner || !pool) return super.query<T>(sql, parameters, queryRunner);

    let result: Awaited<ReturnType<PgPool['query']>>;
    try {
      result = await pool.query(sql, parameters);
    } catch (error) {
      throw new QueryFailedError(sql, parameters, error as Error);
    }
    const affected = result.command === 'UPDATE' || result.command === 'DELETE';
    return (affected ? [result.rows, result.rowCount] : result.rows) as T;
  }

  /** The pool of the Postgres driver once connected; null before (or for other drivers). */
  private pool(): PgPool | null {
    if (!this.isInitialized) return null;
    const master = (this.driver as { master?: unknown }).master;
    return typeof (master as PgPool | undefined)?.query === 'function' ? (master as PgPool) : null;
  }
}
