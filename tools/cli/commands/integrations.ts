import type { CreatedIntegration, IntegrationView } from '@kera/contracts';
import { UsageError } from '../errors';
import { text, type Command } from '../command';
import { details, table } from '../output';

const PROVIDERS = ['github', 'gitlab', 'generic'];

const create: Command = {
  path: ['integrations', 'create'],
  args: [],
  summary: 'create an inbound integration and print its URL and secret (shown only once)',
  options: {
    provider: {
      type: 'string',
      placeholder: 'github|gitlab|generic',
      description: 'who posts to it',
    },
    name: { type: 'string', placeholder: '<name>', description: 'a name for people' },
    project: {
      type: 'string',
      placeholder: '<KEY>',
      description: 'link only this project’s tickets through it',
    },
  },
  help: 'Example: kera integrations create --provider github --name acme-api --project KER',
  async run(context, { values }) {
    const provider = text(values, 'provider');
    const name = text(values, 'name');
    if (!provider || !PROVIDERS.includes(provider)) {
      throw new UsageError(`--provider must be one of ${PROVIDERS.join(', ')}`);
    }
    if (!name) throw new UsageError('--name is required');
    const created = await context.gateway().request<CreatedIntegration>('/api/integrations', {
      method: 'POST',
      json: { provider, name, project: text(values, 'project') },
    });
    if (context.json) return context.io.out(`${JSON.stringify(created, null, 2)}\n`);
    context.io.out(details({ ...created }));
    context.io.err('The secret and the URL token are shown only now: store them.\n');
  },
};

const list: Command = {
  path: ['integrations', 'list'],
  args: [],
  summary: 'list integrations with their last delivery time and counts',
  async run(context) {
    const body = await context
      .gateway()
      .request<{ items: IntegrationView[] } | IntegrationView[]>('/api/integrations');
    const items = Array.isArray(body) ? body : body.items;
    if (context.json) return context.io.out(`${JSON.stringify(items, null, 2)}\n`);
    context.io.out(
      table(items as unknown as Record<string, unknown>[], [
        'id',
        'provider',
        'name',
        'slug',
        'project',
        'accepted_count',
        'rejected_count',
        'last_delivery_at',
      ]),
    );
  },
};

const rotate: Command = {
  path: ['integrations', 'rotate'],
  args: ['<id>'],
  summary: 'give an integration a new secret (the old one keeps verifying for a grace period)',
  async run(context, { args: [id] }) {
    const result = await context
      .gateway()
      .request<{ secret: string }>(`/api/integrations/${encodeURIComponent(id ?? '')}/rotate`, {
        method: 'POST',
      });
    if (context.json) return context.io.out(`${JSON.stringify(result, null, 2)}\n`);
    context.io.out(details({ ...result }));
    context.io.err('The new secret is shown only now: store it.\n');
  },
};

const remove: Command = {
  path: ['integrations', 'delete'],
  args: ['<id>'],
  summary: 'revoke an integration; its URL stops working at once',
  async run(context, { args: [id] }) {
    await context
      .gateway()
      .request(`/api/integrations/${encodeURIComponent(id ?? '')}`, { method: 'DELETE' });
    context.io.out(`integration ${id} revoked\n`);
  },
};

export const INTEGRATION_COMMANDS = [create, list, rotate, remove];
