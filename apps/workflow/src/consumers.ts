import type { ConsumerSpec } from '@kera/jetstream';

/** Durable consumers of the workflow service: read-model repair after a crash. */
export const WORKFLOW_CONSUMERS = {
  tickets: { stream: 'TICKETS', name: 'workflow-tickets' },
  workflows: { stream: 'WORKFLOWS', name: 'workflow-workflows' },
} satisfies Record<string, ConsumerSpec>;
