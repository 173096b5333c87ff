import { Controller, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import type { Msg } from 'nats';
import type { DeliveryPage, KeraEvent, RedeliveryAccepted } from '@kera/contracts';
import { EVENT_HEADERS, type JetStreamRpcContext, type StreamMessage } from '@kera/jetstream';
import { LOG_CONSUMER } from '../consumers';
import { parseDeliveryLogQuery } from './delivery-log-query';
import { DeliveryLogRepository } from './delivery-log.repository';
import { PassThroughFilter } from './pass-through.filter';
import { RedeliveryService } from './redelivery.service';

/** Most outcomes written in one statement (17 parameters each, well under Postgres' 65,535). */
const BATCH = 500;
/**
 * Under a steady flow a statement begins at most this often, with whatever arrived meanwhile,
 * instead of one commit and one acknowledgement per outcome; an outcome after a quiet spell is
 * written at once.
 */
const LINGER_MS = 50;

/** The delivery log: its projection from the DELIVERIES stream and its two commands. */
@Controller()
@UseFilters(PassThroughFilter)
export class DeliveryLogController {
  constructor(
    private readonly log: DeliveryLogRepository,
    private readonly redelivery: RedeliveryService,
  ) {}

  @EventPattern(LOG_CONSUMER, { batch: BATCH, lingerMs: LINGER_MS })
  async project(@Payload() messages: StreamMessage[]): Promise<void> {
    const events = messages
      .map((message) => message.event)
      .filter((event): event is KeraEvent => event !== null);
    await this.log.record(events);
  }

  @MessagePattern('deliveries.list')
  list(@Payload() query: unknown): Promise<DeliveryPage> {
    return this.log.page(parseDeliveryLogQuery(query));
  }

  @MessagePattern('deliveries.redeliver')
  redeliver(
    @Payload() command: unknown,
    @Ctx() ctx: JetStreamRpcContext,
  ): Promise<RedeliveryAccepted> {
    const msg = ctx.getArgs()[0] as Msg;
    const correlation = msg.headers?.get(EVENT_HEADERS.correlation) || undefined;
    return this.redelivery.redeliver(command, correlation);
  }
}
