import { Module } from '@nestjs/common';
import { DispatchController } from './dispatch.controller';
import { DispatchService } from './dispatch.service';
import { WorkflowActions } from './workflow-actions';

@Module({ controllers: [DispatchController], providers: [DispatchService, WorkflowActions] })
export class DispatcherModule {}
