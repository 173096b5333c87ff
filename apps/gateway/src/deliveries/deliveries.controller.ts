import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { isRecord, type DeliveryPage, type RedeliveryAccepted } from '@kera/contracts';
import { CommandClient } from '@kera/jetstream';
import { correlationId } from '../http/correlation';

/** The outbound delivery log and redelivery, answered by the dispatcher. */
@ApiTags('deliveries')
@ApiBearerAuth()
@Controller('api/deliveries')
export class DeliveriesController {
  constructor(private readonly commands: CommandClient) {}

  @Get()
  @ApiOperation({ summary: 'Recorded delivery attempts, newest first, with cursor pagination' })
  @ApiQuery({ name: 'ticket', required: false, description: 'a ticket id, e.g. KER-42' })
  @ApiQuery({ name: 'status', required: false, enum: ['succeeded', 'failed'] })
  @ApiQuery({ name: 'delivery', required: false, description: 'one delivery id (dlv_…)' })
  @ApiQuery({ name: 'limit', required: false, description: '1 to 200, default 50' })
  @ApiQuery({ name: 'after', required: false, description: 'the next cursor of a page' })
  list(@Query() query: Record<string, string>): Promise<DeliveryPage> {
    const { ticket, status, delivery, limit, after } = query;
    return this.commands.request('deliveries.list', { ticket, status, delivery, limit, after });
  }

  @Post(':id/redeliver')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a delivery’s POST again, with the same delivery id' })
  @ApiBody({
    required: false,
    schema: { type: 'object', properties: { actor: { type: 'string' } } },
  })
  redeliver(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: FastifyRequest,
  ): Promise<RedeliveryAccepted> {
    const actor = isRecord(body) && typeof body.actor === 'string' ? body.actor : null;
    return this.commands.request(
      'deliveries.redeliver',
      { delivery_id: id, actor },
      { headers: { 'Kera-Correlation-Id': correlationId(req) } },
    );
  }
}
