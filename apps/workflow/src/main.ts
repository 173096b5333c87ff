import { runService } from '@kera/service';
import { workflowConsumers } from './consumers';
import { WorkflowModule } from './workflow.module';

void runService({
  name: 'workflow',
  module: WorkflowModule,
  consumers: workflowConsumers,
  port: (config) => config.healthPort ?? 8081,
});
