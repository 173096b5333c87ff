import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { Naming, type InboundReceivedData } from '@kera/contracts';
import type { KeraConfig } from '@kera/config';
import { InboundBodyReader, UnreadableBody } from './inbound-body.reader';

const LIMIT = 64 * 1024;

describe('InboundBodyReader on a real NATS server', () => {
  let nc: NatsConnection;
  let naming: Naming;
  let reader: InboundBodyReader;

  beforeEach(async () => {
    nc = await connect({ servers: 'nats://127.0.0.1:4222' });
    const id = randomBytes(4).toString('hex').toUpperCase();
    naming = new Naming({ subjectRoot: `kera_body_${id}`, streamPrefix: `KERA_BODY_${id}` });
    reader = new InboundBodyReader(nc, naming, { inboundMaxBytes: LIMIT } as KeraConfig);
  });

  afterEach(async () => {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(`OBJ_${naming.inboundBodies()}`).catch(() => undefined);
    await nc.close();
  });

  const stored = (name: string, size: number): InboundReceivedData => ({
    integration_id: 'int_1',
    provider: 'github',
    project: null,
    event: 'push',
    delivery_id: name,
    content_type: 'application/json',
    headers: {},
    body: null,
    body_encoding: null,
    body_object: { bucket: naming.inboundBodies(), name, size },
    body_sha256: '',
    source_ip: null,
    received_at: '2025-03-04T10:00:00.000Z',
  });

  async function bucketExists(): Promise<boolean> {
    const jsm = await nc.jetstreamManager();
    return jsm.streams.info(`OBJ_${naming.inboundBodies()}`).then(
      () => true,
      () => false,
    );
  }

  it('reads a body the gateway put in the object store, byte for byte', async () => {
    const body = Buffer.concat([Buffer.from('{"zen":"'), randomBytes(40_000), Buffer.from('"}')]);
    const store = await nc.jetstream().views.os(naming.inboundBodies());
    await store.putBlob({ name: 'delivery-1' }, body);

    await expect(reader.read(stored('delivery-1', body.length))).resolves.toEqual(body);
  });

  it('refuses an object that is not stored, without creating the bucket', async () => {
    await expect(reader.read(stored('gone', 10))).rejects.toThrow(UnreadableBody);
    expect(await bucketExists()).toBe(false);
  });

  it('refuses another bucket and a body over the inbound limit before reading', async () => {
    const elsewhere = { ...stored('x', 10), body_object: { bucket: 'OTHER', name: 'x', size: 10 } };

    await expect(reader.read(elsewhere)).rejects.toThrow('unknown bucket OTHER');
    await expect(reader.read(stored('x', LIMIT + 1))).rejects.toThrow('over the inbound limit');
    expect(await bucketExists()).toBe(false);
  });
});
