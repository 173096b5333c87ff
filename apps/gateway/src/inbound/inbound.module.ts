import { Module } from '@nestjs/common';
import { IntegrationsModule } from '../integrations/integrations.module';
import { DeliveryCounts } from './delivery-counts';
import { DeliveryIdPruner, InboundDeliveries } from './inbound-deliveries';
import { InboundMetrics } from './inbound-metrics';
import { InboundStore } from './inbound-store';
import { InboundRoute } from './inbound.route';
import { InboundService } from './inbound.service';

/** `POST /webhooks/inbound/{slug}/{token}`: verified inbound webhooks stored in JetStream. */
@Module({
  imports: [IntegrationsModule],
  providers: [
    InboundDeliveries,
    DeliveryIdPruner,
    DeliveryCounts,
    InboundMetrics,
    InboundStore,
    InboundService,
    InboundRoute,
  ],
})
export class InboundModule {}
