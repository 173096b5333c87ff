import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller';
import { ProjectionService } from './projection/projection.service';
import { AuditQueryService } from './query/audit-query.service';
import { AuditVerifyService } from './verify/audit-verify.service';

@Module({
  controllers: [AuditController],
  providers: [ProjectionService, AuditQueryService, AuditVerifyService],
})
export class AuditModule {}
