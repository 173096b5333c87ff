import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { CreatedIntegration, IntegrationView } from '@kera/contracts';
import { PROVIDERS, readNewIntegration } from './integration-input';
import { IntegrationsService, type RotatedSecret } from './integrations.service';
import { decodeCursor, readLimit } from './list-page';

/** Integrations: the verified inbound webhook URLs, one per sender. */
@ApiTags('integrations')
@ApiBearerAuth()
@Controller('api/integrations')
export class IntegrationsController {
  constructor(private readonly integrations: IntegrationsService) {}

  @Post()
  @HttpCode(201)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Create an integration; its URL token and secret are shown only in this answer',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['provider', 'name'],
      properties: {
        provider: { type: 'string', enum: [...PROVIDERS] },
        name: { type: 'string', example: 'acme/api on GitHub' },
        project: { type: 'string', example: 'KER' },
      },
    },
  })
  create(@Body() body: unknown): Promise<CreatedIntegration> {
    return this.integrations.create(readNewIntegration(body));
  }

  @Get()
  @ApiOperation({ summary: 'Active integrations with their delivery counts, never a secret' })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'after', required: false })
  list(
    @Query('limit') limit: unknown,
    @Query('after') after: unknown,
  ): Promise<{ items: IntegrationView[]; next: string | null }> {
    return this.integrations.list(readLimit(limit), decodeCursor(after));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One active integration' })
  get(@Param('id') id: string): Promise<IntegrationView> {
    return this.integrations.get(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an integration: its URL answers 404 from now on' })
  async revoke(@Param('id') id: string): Promise<void> {
    await this.integrations.revoke(id);
  }

  @Post(':id/rotate')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'New secret; the previous one keeps verifying for 24 hours' })
  rotate(@Param('id') id: string): Promise<RotatedSecret> {
    return this.integrations.rotate(id);
  }
}
