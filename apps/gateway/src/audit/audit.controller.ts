import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CommandClient } from '@kera/jetstream';

/** The audit trail, answered by the audit service. */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/audit')
export class AuditController {
  constructor(private readonly commands: CommandClient) {}

  @Get()
  @ApiOperation({ summary: 'Audit entries in order, filtered, with cursor pagination' })
  @ApiQuery({ name: 'ticket', required: false })
  @ApiQuery({ name: 'type', required: false })
  @ApiQuery({ name: 'integration', required: false })
  @ApiQuery({ name: 'since', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'after', required: false })
  list(@Query() query: Record<string, string>) {
    const { ticket, type, integration, actor, since, until, limit, after } = query;
    return this.commands.request('audit.query', {
      ticket,
      type,
      integration,
      actor,
      since,
      until,
      limit,
      after,
    });
  }

  @Get('verify')
  @ApiOperation({ summary: 'Check the audit hash chain' })
  verify() {
    return this.commands.request('audit.verify', {}, { timeoutMs: 10 * 60 * 1000 });
  }
}
