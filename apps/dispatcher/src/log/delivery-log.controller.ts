import { Controller, UseFilters } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import type { Msg } from 'nats';
import type { DeliveryPage, RedeliveryAccepted } from '@kera/contracts';
import { EVENT_HEADERS, type JetStreamRpcContext } from '@kera/jetstream';
import { parseDeliveryLogQuery } from './delivery-log-query';
import { DeliveryLogRepository } from './delivery-log.repository';
import { PassThroughFilter } from './pass-through.filter';
import { RedeliveryService } from './redelivery.service';

/** The delivery log's two commands (its projection is DeliveryLogProjector). */
@Controller()
@UseFilters(PassThroughFilter)
export class DeliveryLogController {
  constructor(
    private readonly log: DeliveryLogRepository,
    private readonly redelivery: RedeliveryService,
  ) {}

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
