import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import {
  appendInBatches,
  openAuditTestDatabase,
  record,
  type AuditTestDatabase,
} from './audit-test-helpers.spec';

jest.setTimeout(60_000);

const SERVER = 'postgres://postgres@127.0.0.1:5432';

describe('the audit trail in Postgres is append-only', () => {
  let database: AuditTestDatabase;
  let owner: Client;
  let app: Client;
  const appRole = `kera_test_app_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    database = await openAuditTestDatabase();
    owner = await database.client();
    await appendInBatches(
      owner,
      [1, 2, 3].map((seq) => record(seq)),
    );
    await owner.query(`INSERT INTO audit_anchors (seq, hash) VALUES (1, repeat('0', 64))`);
    // A login role of the kind services run as: a member of kera_app, nothing more.
    await owner.query(`CREATE ROLE ${appRole} LOGIN IN ROLE kera_app`);
    const url = new URL(database.environment.databaseUrl);
    url.username = appRole;
    app = new Client({ connectionString: url.toString() });
    await app.connect();
  });

  afterAll(async () => {
    await app?.end();
    await database?.close();
    const admin = new Client({ connectionString: `${SERVER}/postgres` });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ${appRole}`);
    await admin.end();
  });

  const refusedChanges = [
    ['UPDATE', `UPDATE audit_entries SET actor = 'someone-else' WHERE seq = 2`],
    ['DELETE', 'DELETE FROM audit_entries WHERE seq = 2'],
    ['TRUNCATE', 'TRUNCATE audit_entries'],
    ['UPDATE', `UPDATE audit_anchors SET hash = repeat('1', 64)`],
    ['DELETE', 'DELETE FROM audit_anchors'],
    ['TRUNCATE', 'TRUNCATE audit_anchors'],
  ] as const;

  it.each(refusedChanges)('refuses %s by trigger even to a superuser: %s', async (op, sql) => {
    await expect(owner.query(sql)).rejects.toThrow(`${op} on`);
    await expect(owner.query(sql)).rejects.toThrow('the audit trail is append-only');
  });

  it.each(refusedChanges)(
    'refuses %s to the application role by privilege: %s',
    async (_op, sql) => {
      await expect(app.query(sql)).rejects.toMatchObject({ code: '42501' });
    },
  );

  it('leaves the application role what the services need', async () => {
    const read = await app.query('SELECT count(*)::int AS n FROM audit_entries');
    expect(read.rows[0].n).toBe(3);
    await app.query(`UPDATE audit_checkpoints SET updated_at = now() WHERE stream = $1`, [
      'KERA_T_TICKETS',
    ]);
    await app.query(`UPDATE settings SET value = value WHERE false`);
    await expect(app.query('DELETE FROM audit_checkpoints')).rejects.toMatchObject({
      code: '42501',
    });
    await expect(
      app.query(`INSERT INTO audit_anchors (seq, hash) VALUES (2, repeat('0', 64))`),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('keeps every entry through all of the attempts', async () => {
    const { rows } = await owner.query('SELECT seq, actor FROM audit_entries ORDER BY seq');

    expect(rows).toEqual([1, 2, 3].map((seq) => ({ seq: String(seq), actor: 'max@example.com' })));
  });

  it('lets the whole test database be dropped', async () => {
    const other = await openAuditTestDatabase();
    await appendInBatches(await other.client(), [record(1)]);

    await other.close();

    const admin = new Client({ connectionString: `${SERVER}/postgres` });
    await admin.connect();
    const name = new URL(other.environment.databaseUrl).pathname.slice(1);
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    await admin.end();
    expect(found.rowCount).toBe(0);
  });
});
