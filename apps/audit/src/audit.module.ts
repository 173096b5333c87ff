import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller';
import { AuditQueryService } from './audit-query.service';
import { AuditRepository } from './audit.repository';

@Module({ controllers: [AuditController], providers: [AuditRepository, AuditQueryService] })
export class AuditModule {}
