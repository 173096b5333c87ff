import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { openDatabase } from '@kera/persistence';
import { dropDatabase } from '@kera/testing';
import { InboundDeliveries } from './inbound-deliveries';

const SERVER = 'postgres://postgres@127.0.0.1:5432';

describe('the inbound delivery ledger on a real Postgres', () => {
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
    await dropDatabase(`${SERVER}/${name}`);
  });

  function rows(count: number) {
    return Array.from({ length: count }, () => ({
      integrationId,
      deliveryId: randomUUID(),
      eventId: randomUUID(),
    }));
  }

  async function position(stream: string): Promise<number | null> {
    const found: { seq: string }[] = await db.query(
      'SELECT seq FROM inbound_ledger_positions WHERE stream = $1',
      [stream],
    );
    return found[0] === undefined ? null : Number(found[0].seq);
  }

  it('writes deliveries with the position they reach, keeping rows written before and never moving back', async () => {
    const stream = `S_${randomBytes(4).toString('hex')}`;
    const first = rows(30);
    await deliveries.write(stream, first, 40);
    expect(await position(stream)).toBe(40);

    // Written again (another gateway, or after a crash), with a row of its own event id: kept.
    const again = [{ ...first[0]!, eventId: randomUUID() }, ...rows(2)];
    await deliveries.write(stream, again, 35);
    expect(await position(stream)).toBe(40);

    const stored: { event_id: string }[] = await db.query(
      'SELECT event_id FROM inbound_deliveries WHERE delivery_id = $1',
      [first[0]!.deliveryId],
    );
    expect(stored).toEqual([{ event_id: first[0]!.eventId }]);
    for (const row of [...first, ...again]) {
      expect(await deliveries.wasAccepted(integrationId, row.deliveryId)).toBe(true);
    }
  });

  it('skips deliveries of an integration that is not in the table, and writes the rest', async () => {
    const stream = `S_${randomBytes(4).toString('hex')}`;
    const unknown = {
      integrationId: randomUUID(),
      deliveryId: randomUUID(),
      eventId: randomUUID(),
    };
    const known = rows(1);
    await deliveries.write(stream, [unknown, ...known], 7);

    expect(await position(stream)).toBe(7);
    expect(await deliveries.wasAccepted(unknown.integrationId, unknown.deliveryId)).toBe(false);
    expect(await deliveries.wasAccepted(integrationId, known[0]!.deliveryId)).toBe(true);
  });

  it('records a start position once and then keeps the one written', async () => {
    const stream = `S_${randomBytes(4).toString('hex')}`;
    expect(await deliveries.startPosition(stream, 12)).toBe(12);
    expect(await deliveries.startPosition(stream, 99)).toBe(12);
    await deliveries.write(stream, [], 20);
    expect(await deliveries.startPosition(stream, 99)).toBe(20);
  });

  it('answers questions sent together in one statement, each for its own integration and id', async () => {
    const written = rows(3);
    await deliveries.write(`S_${randomBytes(4).toString('hex')}`, written, 3);

    const answers = await Promise.all([
      ...written.map((row) => deliveries.wasAccepted(integrationId, row.deliveryId)),
      deliveries.wasAccepted(integrationId, randomUUID()),
      deliveries.wasAccepted(randomUUID(), written[0]!.deliveryId),
    ]);
    expect(answers).toEqual([true, true, true, false, false]);
  });

  it('hands out every event id of the ledger, across pages', async () => {
    const written = rows(25);
    await deliveries.write(`S_${randomBytes(4).toString('hex')}`, written, 25);

    const seen = new Set<string>();
    await deliveries.eachEventId((ids) => ids.forEach((id) => seen.add(id)));
    expect(written.every((row) => seen.has(row.eventId))).toBe(true);
    expect(await deliveries.count()).toBe(seen.size);
  });
});
