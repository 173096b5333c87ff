import { Module } from '@nestjs/common';
import { IntegrationsModule } from '../integrations/integrations.module';
import { DeliveryCounts } from './delivery-counts';
import { DeliveryIdPruner } from './delivery-id-pruner';
import { InboundDeliveries } from './inbound-deliveries';
import { InboundLedger } from './inbound-ledger';
import { InboundMetrics } from './inbound-metrics';
import { InboundStore } from './inbound-store';
import { InboundRoute } from './inbound.route';
import { InboundService } from './inbound.service';

/** `POST /webhooks/inbound/{slug}/{token}`: verified inbound webhooks stored in JetStream. */
@Module({
  imports: [IntegrationsModule],
  providers: [
    InboundDeliveries,
    InboundLedger,
    DeliveryIdPruner,
    DeliveryCounts,
    InboundMetrics,
    InboundStore,
    InboundService,
    InboundRoute,
  ],
})
export class InboundModule {}
