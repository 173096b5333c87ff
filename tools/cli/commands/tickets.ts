import type { TicketView, TransitionResult } from '@kera/contracts';
import { UsageError } from '../errors';
import { text, type Command, type OptionValues } from '../command';
import { details } from '../output';

const create: Command = {
  path: ['tickets', 'create'],
  args: [],
  summary: 'open a ticket in its project’s initial state',
  options: {
    project: { type: 'string', placeholder: '<KEY>', description: 'project key, e.g. KER' },
    title: { type: 'string', placeholder: '<text>', description: 'the ticket’s title' },
    field: {
      type: 'string',
      multiple: true,
      placeholder: '<name>=<value>',
      description: 'a field (repeatable; the value is JSON when it parses, else text)',
    },
    actor: { type: 'string', placeholder: '<who>', description: 'who opens it' },
  },
  help: 'Example: kera tickets create --project KER --title "Fix login" --field priority=high',
  async run(context, { values }) {
    const project = text(values, 'project');
    const title = text(values, 'title');
    if (!project || !title) throw new UsageError('--project and --title are required');
    const ticket = await context.gateway().request<TicketView>('/api/tickets', {
      method: 'POST',
      json: { project, title, fields: fields(values), actor: text(values, 'actor') },
    });
    printTicket(context.io.out, context.json, ticket);
  },
};

const get: Command = {
  path: ['tickets', 'get'],
  args: ['<id>'],
  summary: 'show a ticket',
  async run(context, { args: [id] }) {
    const ticket = await context
      .gateway()
      .request<TicketView>(`/api/tickets/${encodeURIComponent(id ?? '')}`);
    printTicket(context.io.out, context.json, ticket);
  },
};

const transition: Command = {
  path: ['tickets', 'transition'],
  args: ['<id>', '<to>'],
  summary: 'move a ticket to another state (the workflow decides whether it may)',
  options: {
    actor: { type: 'string', placeholder: '<who>', description: 'who moves it (required)' },
  },
  help: 'Example: kera tickets transition KER-1 in_review --actor max@example.com',
  async run(context, { args: [id, to], values }) {
    const actor = text(values, 'actor');
    if (!actor) throw new UsageError('--actor is required');
    const result = await context
      .gateway()
      .request<TransitionResult>(`/api/tickets/${encodeURIComponent(id ?? '')}/transitions`, {
        method: 'POST',
        json: { to, actor },
      });
    if (context.json) return context.io.out(`${JSON.stringify(result, null, 2)}\n`);
    context.io.out(
      `${result.ticket.id}: ${result.event.from_state} -> ${result.event.to_state} (event ${result.event.id})\n`,
    );
  },
};

function fields(values: OptionValues): Record<string, unknown> | undefined {
  const given = values.field;
  if (!Array.isArray(given) || given.length === 0) return undefined;
  const result: Record<string, unknown> = {};
  for (const pair of given.map(String)) {
    const at = pair.indexOf('=');
    if (at < 1) throw new UsageError(`--field ${pair}: write it as <name>=<value>`);
    result[pair.slice(0, at)] = jsonOrText(pair.slice(at + 1));
  }
  return result;
}

function jsonOrText(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function printTicket(out: (text: string) => void, json: boolean, ticket: TicketView): void {
  if (json) return out(`${JSON.stringify(ticket, null, 2)}\n`);
  out(details({ ...ticket }));
}

export const TICKET_COMMANDS = [create, get, transition];
