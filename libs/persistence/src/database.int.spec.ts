import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { ensureDatabase } from './database';

const SERVER = 'postgres://postgres@127.0.0.1:5432';

describe('ensureDatabase on a real Postgres', () => {
  const name = `kera_ensure_${randomBytes(4).toString('hex')}`;

  afterAll(async () => {
    const client = new Client({ connectionString: `${SERVER}/postgres` });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.end();
  });

  it('creates a missing database once when several processes start at the same moment', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => ensureDatabase(`${SERVER}/${name}`)),
    );

    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    const client = new Client({ connectionString: `${SERVER}/postgres` });
    await client.connect();
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    await client.end();
    expect(found.rowCount).toBe(1);
  });
});
