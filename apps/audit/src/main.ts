import { runService } from '@kera/service';
import { AUDIT_CONSUMERS } from './consumers';
import { AuditModule } from './audit.module';

void runService({
  name: 'audit',
  module: AuditModule,
  consumers: AUDIT_CONSUMERS,
  port: (config) => config.healthPort ?? 8083,
});
