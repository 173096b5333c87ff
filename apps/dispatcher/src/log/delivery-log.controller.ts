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

const BATCH = 200;

/** The delivery log: its projection from the DELIVERIES stream and its two commands. */
@Controller()
@UseFilters(PassThroughFilter)
export class DeliveryLogController {
  constructor(
    private readonly log: DeliveryLogRepository,
    private readonly redelivery: RedeliveryService,
  ) {}

  @EventPattern(LOG_CONSUMER, { batch: BATCH })
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
