import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Req,
  Res,
  applyDecorators,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  BadRequestError,
  isRecord,
  type TicketView,
  type TransitionResult,
  type WorkflowPutResult,
  type WorkflowView,
} from '@kera/contracts';
import { CommandClient } from '@kera/jetstream';
import { correlationId } from '../http/correlation';

/** What each problem status means on these routes, for the OpenAPI document. */
const PROBLEMS: Record<number, string> = {
  400: 'the body is not JSON, or not a JSON object',
  401: 'no valid admin bearer token',
  404: 'no such ticket or project',
  409: 'the workflow has no transition from the current state, or a concurrent change won',
  413: 'the workflow is larger than 256 KiB',
  422: 'invalid input; `errors` lists every problem (with line and column for YAML)',
  503: 'the workflow service, Postgres or JetStream is not answering; try again',
};

/** Documents the problem+json answers a route can give. */
function Problems(...statuses: number[]) {
  return applyDecorators(
    ...statuses.map((status) => ApiResponse({ status, description: PROBLEMS[status] })),
  );
}

/** Ticket and workflow endpoints: each call becomes a command to the workflow service. */
@ApiTags('tickets')
@ApiBearerAuth()
@Controller('api')
export class TicketsController {
  constructor(private readonly commands: CommandClient) {}

  @Put('projects/:key/workflow')
  @ApiOperation({ summary: 'Set a project’s workflow (YAML); creates the project if new' })
  @ApiConsumes('application/yaml', 'text/yaml', 'text/plain')
  @ApiBody({ schema: { type: 'string' } })
  @ApiResponse({ status: 200, description: '`{project, version, orphaned_states}`' })
  @Problems(400, 401, 409, 413, 422, 503)
  putWorkflow(@Param('key') key: string, @Body() yaml: unknown, @Req() req: FastifyRequest) {
    if (typeof yaml !== 'string') {
      throw new BadRequestError('send the workflow as YAML text (Content-Type: application/yaml)');
    }
    return this.commands.request<WorkflowPutResult>(
      'workflow.put',
      { project: key, yaml, actor: null },
      { headers: { 'Kera-Correlation-Id': correlationId(req) } },
    );
  }

  @Get('projects/:key/workflow')
  @ApiOperation({ summary: 'The current workflow, as it was put' })
  @ApiResponse({ status: 200, description: 'the YAML; its version in `X-Kera-Workflow-Version`' })
  @Problems(401, 404, 503)
  async getWorkflow(@Param('key') key: string, @Res() reply: FastifyReply) {
    const workflow = await this.commands.request<WorkflowView>('workflow.get', { project: key });
    return reply
      .header('content-type', 'application/yaml; charset=utf-8')
      .header('x-kera-workflow-version', String(workflow.version))
      .send(workflow.yaml);
  }

  @Post('tickets')
  @HttpCode(201)
  @ApiOperation({ summary: 'Open a ticket in its project’s initial state' })
  @ApiResponse({ status: 201, description: 'the ticket, numbered `<project>-<n>`' })
  @Problems(400, 401, 422, 503)
  @ApiBody({
    schema: {
      type: 'object',
      required: ['project', 'title'],
      properties: {
        project: { type: 'string', example: 'KER' },
        title: { type: 'string' },
        fields: { type: 'object' },
        actor: { type: 'string' },
      },
    },
  })
  create(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.commands.request<TicketView>('ticket.create', jsonObject(body), {
      headers: { 'Kera-Correlation-Id': correlationId(req) },
    });
  }

  @Get('tickets/:id')
  @ApiOperation({ summary: 'A ticket' })
  @ApiResponse({ status: 200, description: 'the ticket' })
  @Problems(401, 404, 503)
  get(@Param('id') id: string) {
    return this.commands.request<TicketView>('ticket.get', { ticket_id: id });
  }

  @Patch('tickets/:id')
  @ApiOperation({ summary: 'Change the title or merge fields (a null field is removed)' })
  @ApiResponse({ status: 200, description: 'the ticket after the change' })
  @Problems(400, 401, 404, 409, 422, 503)
  @ApiBody({
    schema: {
      type: 'object',
      properties: { title: { type: 'string' }, fields: { type: 'object' } },
    },
  })
  update(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    const { title, fields, actor } = jsonObject(body);
    return this.commands.request<TicketView>(
      'ticket.update',
      { ticket_id: id, title, fields, actor },
      { headers: { 'Kera-Correlation-Id': correlationId(req) } },
    );
  }

  @Post('tickets/:id/transitions')
  @HttpCode(200)
  @ApiOperation({ summary: 'Move a ticket along a transition of its workflow' })
  @ApiResponse({
    status: 200,
    description: '`{ticket, event}`: the moved ticket and the stored event',
  })
  @Problems(400, 401, 404, 409, 422, 503)
  @ApiBody({
    schema: {
      type: 'object',
      required: ['to', 'actor'],
      properties: { to: { type: 'string' }, actor: { type: 'string' } },
    },
  })
  transition(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    const { to, actor } = jsonObject(body);
    return this.commands.request<TransitionResult>(
      'ticket.transition',
      { ticket_id: id, to, actor },
      { headers: { 'Kera-Correlation-Id': correlationId(req) } },
    );
  }
}

export function jsonObject(body: unknown): Record<string, unknown> {
  if (!isRecord(body)) throw new BadRequestError('the request body must be a JSON object');
  return body;
}
