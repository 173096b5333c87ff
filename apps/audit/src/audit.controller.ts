import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { STREAMS } from '@kera/contracts';
import type { StreamMessage } from '@kera/jetstream';
import { toAuditContent } from './audit-entry';
import { AuditQueryService, type AuditQuery } from './audit-query.service';
import { AuditRepository } from './audit.repository';
import { auditConsumerName } from './consumers';

const BATCH = 500;

/** Projects every stream into the audit store, a batch per transaction, and answers queries. */
@Controller()
export class AuditController {
  constructor(
    private readonly repository: AuditRepository,
    private readonly queries: AuditQueryService,
  ) {}

  @EventPattern(auditConsumerName(STREAMS[0]), { batch: BATCH })
  tickets(@Payload() messages: StreamMessage[]) {
    return this.project(messages);
  }

  @EventPattern(auditConsumerName(STREAMS[1]), { batch: BATCH })
  workflows(@Payload() messages: StreamMessage[]) {
    return this.project(messages);
  }

  @EventPattern(auditConsumerName(STREAMS[2]), { batch: BATCH })
  inbound(@Payload() messages: StreamMessage[]) {
    return this.project(messages);
  }

  @EventPattern(auditConsumerName(STREAMS[3]), { batch: BATCH })
  deliveries(@Payload() messages: StreamMessage[]) {
    return this.project(messages);
  }

  @EventPattern(auditConsumerName(STREAMS[4]), { batch: BATCH })
  integrations(@Payload() messages: StreamMessage[]) {
    return this.project(messages);
  }

  @MessagePattern('audit.query')
  query(@Payload() query: AuditQuery) {
    return this.queries.query(query);
  }

  @MessagePattern('audit.verify')
  verify() {
    return this.queries.verify();
  }

  private async project(messages: StreamMessage[]): Promise<void> {
    const first = messages[0];
    if (!first) return;
    const ordered = [...messages].sort((a, b) => a.seq - b.seq);
    await this.repository.append(first.stream, ordered.map(toAuditContent));
  }
}
