import { Inject, Injectable } from '@nestjs/common';
import type { NatsConnection, ObjectStore } from 'nats';
import { Naming, type InboundReceivedData } from '@kera/contracts';
import type { KeraConfig } from '@kera/config';
import { KERA_CONFIG, NATS_CONNECTION } from '@kera/service';
import { inlineBody } from './inbound-payload';

/** Why a stored inbound body could not be read. */
export class UnreadableBody extends Error {}

/**
 * Reads the body of an accepted inbound webhook exactly as received: inline
 * in its event, or from the JetStream object store the gateway put it in.
 */
@Injectable()
export class InboundBodyReader {
  private store: ObjectStore | null = null;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly naming: Naming,
    @Inject(KERA_CONFIG) private readonly config: KeraConfig,
  ) {}

  /**
   * The body's bytes. Throws UnreadableBody when the event names no body, a
   * bucket that is not the inbound one, a body larger than the gateway
   * accepts, or an object that is no longer stored (aged out).
   */
  async read(data: InboundReceivedData): Promise<Buffer> {
    const inline = inlineBody(data);
    if (inline !== null) return inline;

    const object = data.body_object;
    if (object === null) throw new UnreadableBody('the event carries no body');
    if (object.bucket !== this.naming.inboundBodies()) {
      throw new UnreadableBody(`the body names the unknown bucket ${object.bucket}`);
    }
    if (object.size > this.config.inboundMaxBytes) {
      throw new UnreadableBody(`the body of ${object.size} bytes is over the inbound limit`);
    }

    const bytes = await (await this.bucket())?.getBlob(object.name);
    if (bytes === null || bytes === undefined) {
      throw new UnreadableBody(`the body object ${object.name} is no longer stored`);
    }
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /**
   * The bucket, once the gateway created it. Binding to a missing bucket
   * would create it with default limits ahead of the gateway, so it is
   * looked up first.
   */
  private async bucket(): Promise<ObjectStore | null> {
    if (this.store !== null) return this.store;
    const name = this.naming.inboundBodies();
    const jsm = await this.nc.jetstreamManager();
    const exists = await jsm.streams.info(`OBJ_${name}`).then(
      () => true,
      (error: { code?: string }) => (error.code === '404' ? false : Promise.reject(error)),
    );
    if (!exists) return null;
    this.store = await this.nc.jetstream().views.os(name);
    return this.store;
  }
}
