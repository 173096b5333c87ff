import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { openDatabase } from '@kera/persistence';
import { InboundDeliveries } from './inbound-deliveries';

const SERVER = 'postgres://postgres@127.0.0.1:5432';

describe('remembered inbound delivery ids on a real Postgres', () => {
  const name = `kera_deliveries_${randomBytes(4).toString('hex')}`;
  const integrationId = randomUUID();
  let db: DataSource;
  let deliveries: InboundDeliveries;

  beforeAll(async () => {
    db = await openDatabase({ url: `${SERVER}/${name}`, applicationName: 'deliveries-test' });
    await db.query(
      `INSERT INTO integrations (id, provider, name, slug, token_sha256, secret)
       VALUES ($1, 'github', 'Remembered', $2, $3, 'secret')`,
      [integrationId, `remembered-${name}`, randomBytes(32)],
    );
    deliveries = new InboundDeliveries(db);
  });

  afterAll(async () => {
    await db?.destroy();
    const admin = new Client({ connectionString: `${SERVER}/postgres` });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  });

  it('remembers each of many deliveries arriving at once exactly once, the first of a pair', async () => {
    const ids = Array.from({ length: 40 }, () => randomUUID());
    const requests = [...ids, ...ids.slice(0, 10)];

    const fresh = await Promise.all(
      requests.map((id) => deliveries.remember(integrationId, id, randomUUID())),
    );

    expect(fresh.slice(0, 40)).toEqual(ids.map(() => true));
    expect(fresh.slice(40)).toEqual(ids.slice(0, 10).map(() => false));
    const rows: { n: number }[] = await db.query(
      'SELECT count(*)::int AS n FROM inbound_deliveries WHERE delivery_id = ANY($1)',
      [ids],
    );
    expect(rows[0]?.n).toBe(40);
  });

  it('answers false for a delivery remembered before, and says it was accepted', async () => {
    const id = randomUUID();
    expect(await deliveries.remember(integrationId, id, randomUUID())).toBe(true);

    expect(await deliveries.remember(integrationId, id, randomUUID())).toBe(false);
    expect(await deliveries.wasAccepted(integrationId, id)).toBe(true);
    expect(await deliveries.wasAccepted(integrationId, randomUUID())).toBe(false);
  });

  it('answers questions and writes sent together in one turn, the questions as of before the writes', async () => {
    const before = randomUUID();
    await deliveries.remember(integrationId, before, randomUUID());
    const fresh = randomUUID();

    const [askedBefore, written, askedFresh, askedUnknown] = await Promise.all([
      deliveries.wasAccepted(integrationId, before),
      deliveries.remember(integrationId, fresh, randomUUID()),
      deliveries.wasAccepted(integrationId, fresh),
      deliveries.wasAccepted(integrationId, randomUUID()),
    ]);

    expect([askedBefore, written, askedFresh, askedUnknown]).toEqual([true, true, false, false]);
    expect(await deliveries.wasAccepted(integrationId, fresh)).toBe(true);
  });

  it('fails the deliveries of a statement that fails, and keeps remembering later ones', async () => {
    const unknownIntegration = deliveries.remember(randomUUID(), randomUUID(), randomUUID());

    await expect(unknownIntegration).rejects.toThrow(/foreign key/);
    expect(await deliveries.remember(integrationId, randomUUID(), randomUUID())).toBe(true);
  });
});
