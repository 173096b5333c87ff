import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { BUCKETS, deliveryStats, parseStatsQuery, type DeliveryStats } from './delivery-stats';

/** Aggregates for the dashboard's charts, read from the delivery log in Postgres. */
@ApiTags('stats')
@ApiBearerAuth()
@Controller('api/stats')
export class DeliveryStatsController {
  constructor(private readonly db: DataSource) {}

  @Get('deliveries')
  @ApiOperation({ summary: 'Outbound deliveries that succeeded and failed, per time bucket' })
  @ApiQuery({ name: 'bucket', required: false, enum: Object.keys(BUCKETS) })
  @ApiQuery({ name: 'buckets', required: false, description: 'how many buckets (1 to 1440)' })
  deliveries(@Query() query: Record<string, unknown>): Promise<DeliveryStats> {
    return deliveryStats(this.db, parseStatsQuery(query));
  }
}
