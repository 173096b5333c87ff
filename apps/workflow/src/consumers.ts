import { Naming } from '@kera/contracts';
import type { KeraConfig } from '@kera/config';
import type { ConsumerSpec } from '@kera/jetstream';

/** Durable consumers of the workflow service: read-model repair after a crash. */
export const WORKFLOW_CONSUMERS = {
  tickets: { stream: 'TICKETS', name: 'workflow-tickets' },
  workflows: { stream: 'WORKFLOWS', name: 'workflow-workflows' },
} satisfies Record<string, ConsumerSpec>;

/** Git automation's consumer of accepted inbound webhooks. */
export const GIT_AUTOMATION_CONSUMER = 'workflow-git-automation';

/** Every durable consumer of the workflow service, with the subjects of this installation. */
export function workflowConsumers(config: KeraConfig): ConsumerSpec[] {
  const naming = new Naming({ subjectRoot: config.subjectRoot, streamPrefix: config.streamPrefix });
  return [
    ...Object.values(WORKFLOW_CONSUMERS),
    {
      stream: 'INBOUND',
      name: GIT_AUTOMATION_CONSUMER,
      filterSubject: naming.allInboundAccepted(),
      // One delivery in flight across all instances: the events of a pull
      // request take effect in the order they were received.
      maxAckPending: 1,
    },
  ];
}
