import { Client } from 'pg';
import { PostgresServer } from './postgres-server';

jest.setTimeout(90_000);

describe('PostgresServer', () => {
  it('keeps committed rows through a crash and a restart', async () => {
    const server = await PostgresServer.start();
    try {
      const client = new Client({ connectionString: `${server.url}/postgres` });
      await client.connect();
      await client.query('CREATE TABLE kept (value text)');
      await client.query("INSERT INTO kept VALUES ('committed')");
      await client.end();
      expect(server.pid).toEqual(expect.any(Number));

      await server.crash();
      expect(server.pid).toBeNull();
      await server.start();

      const again = new Client({ connectionString: `${server.url}/postgres` });
      await again.connect();
      const { rows } = await again.query('SELECT value FROM kept');
      expect(rows).toEqual([{ value: 'committed' }]);
      await again.end();
    } finally {
      await server.destroy();
    }
  });
});
