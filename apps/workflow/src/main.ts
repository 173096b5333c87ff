import { runService } from '@kera/service';
import { WORKFLOW_CONSUMERS } from './consumers';
import { WorkflowModule } from './workflow.module';

void runService({
  name: 'workflow',
  module: WorkflowModule,
  consumers: Object.values(WORKFLOW_CONSUMERS),
  port: (config) => config.healthPort ?? 8081,
});
