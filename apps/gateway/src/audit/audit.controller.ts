import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CommandClient } from '@kera/jetstream';

/** A verification reads the whole trail; a large one takes minutes. */
const VERIFY_TIMEOUT_MS = 10 * 60 * 1000;

/** The audit trail, answered by the audit service (which validates the query). */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/audit')
export class AuditController {
  constructor(private readonly commands: CommandClient) {}

  @Get()
  @ApiOperation({
    summary: 'Audit entries in trail order, filtered, with cursor pagination',
    description:
      'Unknown or repeated parameters, times that are not ISO 8601 and foreign cursors answer 400 ' +
      'naming the field.',
  })
  @ApiQuery({ name: 'ticket', required: false, description: 'ticket id, e.g. KER-42' })
  @ApiQuery({ name: 'type', required: false, description: 'event type, e.g. kera.ticket.created' })
  @ApiQuery({ name: 'integration', required: false, description: 'integration id' })
  @ApiQuery({ name: 'actor', required: false, description: 'who caused the event' })
  @ApiQuery({ name: 'since', required: false, description: 'recorded at or after (ISO 8601)' })
  @ApiQuery({ name: 'until', required: false, description: 'recorded before (ISO 8601)' })
  @ApiQuery({ name: 'limit', required: false, description: '1 to 1000, default 100' })
  @ApiQuery({ name: 'after', required: false, description: 'the `next` cursor of a page' })
  list(@Query() query: Record<string, unknown>) {
    return this.commands.request('audit.query', { ...query });
  }

  @Get('verify')
  @ApiOperation({
    summary: 'Check the audit hash chain',
    description:
      'Recomputes every entry from the first kept (or its archive anchor) to the chain head; ' +
      'answers {ok, entries, first_bad?, head}.',
  })
  verify() {
    return this.commands.request('audit.verify', {}, { timeoutMs: VERIFY_TIMEOUT_MS });
  }
}
