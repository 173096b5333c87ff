import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CommandErrorFilter } from './command-error.filter';
import { AuditQueryService } from './query/audit-query.service';
import { AuditVerifyService } from './verify/audit-verify.service';

/** The audit trail's commands: filtered pages and the chain check. */
@Controller()
@UseFilters(CommandErrorFilter)
export class AuditController {
  constructor(
    private readonly queries: AuditQueryService,
    private readonly verifier: AuditVerifyService,
  ) {}

  @MessagePattern('audit.query')
  query(@Payload() query: unknown) {
    return this.queries.query(query);
  }

  @MessagePattern('audit.verify')
  verify() {
    return this.verifier.verify();
  }
}
