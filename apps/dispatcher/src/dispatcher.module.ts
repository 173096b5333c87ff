import { Module } from '@nestjs/common';
import { DispatchController } from './dispatch.controller';
import { DispatchMetrics } from './dispatch-metrics';
import { TransitionFanOut } from './fan-out.service';
import { AttemptCounter } from './jobs/attempt-counter';
import { DeliveryAttempts } from './jobs/delivery-attempts';
import { DeliveryQueue } from './jobs/delivery-queue';
import { TransitionSource } from './jobs/transition-source';
import { DeliveryLogController } from './log/delivery-log.controller';
import { DeliveryLogRepository } from './log/delivery-log.repository';
import { RedeliveryService } from './log/redelivery.service';
import { WorkflowActions } from './workflow-actions';

@Module({
  controllers: [DispatchController, DeliveryLogController],
  providers: [
    DispatchMetrics,
    WorkflowActions,
    TransitionSource,
    TransitionFanOut,
    AttemptCounter,
    DeliveryAttempts,
    DeliveryQueue,
    DeliveryLogRepository,
    RedeliveryService,
  ],
})
export class DispatcherModule {}
