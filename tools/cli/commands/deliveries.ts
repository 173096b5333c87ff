import type { DeliveryPage } from '@kera/contracts';
import { text, type Command } from '../command';
import { table } from '../output';

const list: Command = {
  path: ['deliveries', 'list'],
  args: [],
  summary: 'the outbound delivery log, newest first',
  options: {
    ticket: { type: 'string', placeholder: '<id>', description: 'only this ticket’s deliveries' },
    status: { type: 'string', placeholder: 'succeeded|failed', description: 'only this outcome' },
    limit: { type: 'string', placeholder: '<n>', description: 'how many (the API’s default)' },
    after: { type: 'string', placeholder: '<cursor>', description: 'the page after this cursor' },
  },
  help: 'Example: kera deliveries list --status failed --limit 20',
  async run(context, { values }) {
    const page = await context.gateway().request<DeliveryPage>('/api/deliveries', {
      query: {
        ticket: text(values, 'ticket'),
        status: text(values, 'status'),
        limit: text(values, 'limit'),
        after: text(values, 'after'),
      },
    });
    if (context.json) return context.io.out(`${JSON.stringify(page, null, 2)}\n`);
    context.io.out(
      table(page.items as unknown as Record<string, unknown>[], [
        'delivery_id',
        'attempt',
        'status',
        'status_code',
        'ticket_id',
        'url',
        'attempted_at',
      ]),
    );
    if (page.next) context.io.err(`more: --after ${page.next}\n`);
  },
};

const redeliver: Command = {
  path: ['deliveries', 'redeliver'],
  args: ['<delivery-id>'],
  summary: 'send a delivery’s POST again, with the same delivery id',
  async run(context, { args: [id] }) {
    const answer = await context
      .gateway()
      .request(`/api/deliveries/${encodeURIComponent(id ?? '')}/redeliver`, { method: 'POST' });
    if (context.json) return context.io.out(`${JSON.stringify(answer ?? {}, null, 2)}\n`);
    context.io.out(`redelivery of ${id} accepted\n`);
  },
};

export const DELIVERY_COMMANDS = [list, redeliver];
