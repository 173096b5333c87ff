import { Module } from '@nestjs/common';
import { DeliveriesController } from './deliveries.controller';

/** `GET /api/deliveries` and `POST /api/deliveries/{id}/redeliver`. */
@Module({ controllers: [DeliveriesController] })
export class DeliveriesModule {}
