/**
 * Ticket history benchmark: a command never replays a ticket's whole history. The workflow
 * service reads the ticket's snapshot (a Postgres row at a stream sequence) and only the events
 * stored after it, so a transition of a ticket with 10,000 events should cost what a
 * transition of a new ticket costs.
 *
 * One workflow service on an isolated environment. A ticket gets 10,000 `updated` events,
 * published straight to its subject with the right expected sequences (many in flight at
 * once); the benchmark waits until the service's projector has written the snapshot. Then,
 * interleaved so that both see the same machine: the `ticket.transition` NATS command on a
 * ticket created just before (one event), and on the long ticket. For scale, the table also
 * shows what reading and folding the whole history once costs, which a design that replays
 * per command would add to every command.
 */
import { performance } from 'node:perf_hooks';
import { connect, type NatsConnection } from 'nats';
import { Client } from 'pg';
import {
  EventTypes,
  createEvent,
  parseEvent,
  type Naming,
  type TicketView,
  type TransitionResult,
} from '@kera/contracts';
import { evolve, type TicketState } from '@kera/domain';
import { CommandClient, EventPublisher, nextOnSubject } from '@kera/jetstream';
import { eventually } from '@kera/testing';
import { runBenchmark, startBenchSystem, summarize, type BenchSystem } from './lib';

const HISTORY = 10_000;
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 500);
const WARM_UP = 50;
/** Publishes in flight while the history is appended. */
const IN_FLIGHT = 256;
const PROJECT = 'HIST';
const WORKFLOW = `states: [open, closed]
transitions:
  - from: open
    to: closed
  - from: closed
    to: open
`;

interface Samples {
  fresh: number[];
  long: number[];
}

void runBenchmark('Ticket history', async (run) => {
  const system = await startBenchSystem(run, ['workflow']);
  run.defer(() => system.stop());
  const nc = await connect({ servers: run.natsUrl });
  run.defer(() => nc.close());
  const naming = system.environment.naming;
  const commands = new CommandClient(nc, naming);

  await commands.request('workflow.put', { project: PROJECT, yaml: WORKFLOW, actor: 'bench' });
  const long = await createTicket(commands);
  run.progress(`appending ${HISTORY.toLocaleString('en-US')} events to ${long.id}`);
  const appendStarted = performance.now();
  const lastSeq = await appendHistory(nc, naming, long);
  const appendSeconds = (performance.now() - appendStarted) / 1000;
  run.progress('waiting for the projector to write the snapshot');
  await snapshotAt(system, long.id, lastSeq);

  const replayMs = await timeFullReplay(nc, naming, long.id);

  run.progress(`measuring ${SAMPLES} transitions of each ticket`);
  await measure(commands, long.id, WARM_UP);
  const samples = await measure(commands, long.id, SAMPLES);

  const fresh = summarize(samples.fresh);
  const longer = summarize(samples.long);
  run.report({
    title: `Transition latency (NATS command ticket.transition), ticket with ${HISTORY.toLocaleString('en-US')} events against a new ticket`,
    rows: [
      {
        measure: 'p50, 10,000 events (baseline: new ticket)',
        figure: longer.p50,
        unit: 'ms',
        baseline: fresh.p50,
      },
      {
        measure: 'p99, 10,000 events (baseline: new ticket)',
        figure: longer.p99,
        unit: 'ms',
        baseline: fresh.p99,
      },
      { measure: 'one full replay of the 10,000 events', figure: replayMs, unit: 'ms' },
    ],
    notes: [
      `${SAMPLES} transitions of each ticket, interleaved, after ${WARM_UP} of each as warm-up; each new-ticket sample moves a ticket created just before it.`,
      `The 10,000 events were appended in ${appendSeconds.toFixed(1)} s; the projector's snapshot was current before measuring.`,
      'A ratio near 100 % means the history costs nothing per command; a replay per command would add the last row to every transition.',
    ],
  });
});

async function createTicket(commands: CommandClient): Promise<TicketView> {
  return commands.request<TicketView>('ticket.create', {
    project: PROJECT,
    title: 'History benchmark',
    actor: 'bench',
  });
}

/**
 * Publishes HISTORY `updated` events on the ticket's subject, each expecting the sequence of
 * the one before. Nothing else writes to the stream meanwhile, so the sequences follow each
 * other and many publishes can be in flight; any that was refused fails the run.
 */
async function appendHistory(
  nc: NatsConnection,
  naming: Naming,
  ticket: TicketView,
): Promise<number> {
  const publisher = new EventPublisher(nc);
  const subject = naming.ticketEvents(ticket.id);
  let last = ticket.version;
  for (let start = 0; start < HISTORY; start += IN_FLIGHT) {
    const count = Math.min(IN_FLIGHT, HISTORY - start);
    const acks = await Promise.all(
      Array.from({ length: count }, (_, i) => {
        const event = createEvent({
          type: EventTypes.ticketUpdated,
          source: 'kera/bench',
          subject: ticket.id,
          data: { ticket_id: ticket.id, fields: { step: start + i }, actor: 'bench' },
        });
        return publisher.append(subject, event, { expectedLastSubjectSequence: last + i });
      }),
    );
    last = acks[acks.length - 1]?.seq ?? last;
  }
  return last;
}

/** Waits until the stored snapshot is at `seq` and the projector has nothing left to do. */
async function snapshotAt(system: BenchSystem, ticketId: string, seq: number): Promise<void> {
  const db = new Client({ connectionString: system.environment.databaseUrl });
  await db.connect();
  const nc = await connect({ servers: system.environment.natsUrl });
  try {
    const jsm = await nc.jetstreamManager();
    const { naming } = system.environment;
    await eventually(
      async () => {
        const { rows } = await db.query('SELECT version FROM tickets WHERE id = $1', [ticketId]);
        const consumer = await jsm.consumers.info(
          naming.stream('TICKETS'),
          naming.durable('workflow-tickets'),
        );
        const idle = consumer.num_pending === 0 && consumer.num_ack_pending === 0;
        return Number(rows[0]?.version) === seq && idle ? true : undefined;
      },
      120_000,
      'the snapshot of the long ticket',
    );
  } finally {
    await nc.close();
    await db.end();
  }
}

/** Interleaved transitions: a ticket created just before, then the long ticket. */
async function measure(commands: CommandClient, longId: string, count: number): Promise<Samples> {
  const samples: Samples = { fresh: [], long: [] };
  let longState = 'open';
  for (let i = 0; i < count; i += 1) {
    const fresh = await createTicket(commands);
    samples.fresh.push(await timeTransition(commands, fresh.id, 'closed'));
    longState = longState === 'open' ? 'closed' : 'open';
    samples.long.push(await timeTransition(commands, longId, longState));
  }
  return samples;
}

async function timeTransition(
  commands: CommandClient,
  ticketId: string,
  to: string,
): Promise<number> {
  const started = performance.now();
  await commands.request<TransitionResult>('ticket.transition', {
    ticket_id: ticketId,
    to,
    actor: 'bench@example.com',
  });
  return performance.now() - started;
}

/** Reads every event of the ticket and folds it, as a replay from nothing would. */
async function timeFullReplay(
  nc: NatsConnection,
  naming: Naming,
  ticketId: string,
): Promise<number> {
  const jsm = await nc.jetstreamManager();
  const stream = naming.stream('TICKETS');
  const subject = naming.ticketEvents(ticketId);
  const started = performance.now();
  let state: TicketState | null = null;
  for (let from = 1; ;) {
    const message = await nextOnSubject(jsm, stream, subject, from);
    if (!message) break;
    const event = parseEvent(message.data);
    if (event) state = evolve(state, event, message.seq);
    from = message.seq + 1;
  }
  const elapsed = performance.now() - started;
  if (!state) throw new Error(`replaying ${ticketId} gave no ticket`);
  return elapsed;
}
