import { randomBytes } from 'node:crypto';
import { QueryFailedError } from 'typeorm';
import { PooledDataSource } from './pooled-data-source';

describe('queries of the pooled data source on a real Postgres', () => {
  const table = `pooled_probe_${randomBytes(4).toString('hex')}`;
  const dataSource = new PooledDataSource({
    type: 'postgres',
    url: 'postgres://postgres@127.0.0.1:5432/postgres',
    extra: { max: 2 },
  });

  beforeAll(async () => {
    await dataSource.initialize();
    await dataSource.query(`CREATE TABLE ${table} (id int PRIMARY KEY, v text)`);
  });

  afterAll(async () => {
    await dataSource.query(`DROP TABLE IF EXISTS ${table}`);
    await dataSource.destroy();
  });

  it('answers a SELECT with its rows, array parameters included', async () => {
    const rows = await dataSource.query('SELECT $1::int AS n, $2::text[] AS list', [7, ['a', 'b']]);

    expect(rows).toEqual([{ n: 7, list: ['a', 'b'] }]);
  });

  it('answers INSERT with the returned rows, UPDATE and DELETE with rows and count', async () => {
    const inserted = await dataSource.query(
      `INSERT INTO ${table} VALUES (1, 'a'), (2, 'b') RETURNING id`,
    );
    const updated = await dataSource.query(`UPDATE ${table} SET v = 'c' WHERE id > $1`, [0]);
    const deleted = await dataSource.query(`DELETE FROM ${table} WHERE id = 2 RETURNING v`);

    expect(inserted).toEqual([{ id: 1 }, { id: 2 }]);
    expect(updated).toEqual([[], 2]);
    expect(deleted).toEqual([[{ v: 'c' }], 1]);
  });

  it('answers exactly as TypeORM does for the same statements in a transaction', async () => {
    const plain = await dataSource.query(`UPDATE ${table} SET v = 'd' WHERE id = 1 RETURNING v`);
    const viaTypeorm = await dataSource.transaction((tx) =>
      tx.query(`UPDATE ${table} SET v = 'e' WHERE id = 1 RETURNING v`),
    );

    expect(plain).toEqual([[{ v: 'd' }], 1]);
    expect(viaTypeorm).toEqual([[{ v: 'e' }], 1]);
  });

  it('fails with a QueryFailedError that carries the driver error and its code', async () => {
    const failure: unknown = await dataSource
      .query(`INSERT INTO ${table} VALUES (1, 'again')`)
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(QueryFailedError);
    expect((failure as QueryFailedError).driverError).toMatchObject({ code: '23505' });
    expect((failure as { code?: string }).code).toBe('23505');
    expect((failure as QueryFailedError).query).toContain(`INSERT INTO ${table}`);
  });
});
