import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { EventTypes } from '@kera/contracts';
import type { StreamMessage } from '@kera/jetstream';
import { GIT_AUTOMATION_CONSUMER } from '../consumers';
import { GitAutomationService } from './git-automation.service';

/** Reads the accepted inbound webhooks, one at a time in the order they were received. */
@Controller()
export class GitAutomationController {
  constructor(private readonly automation: GitAutomationService) {}

  @EventPattern(GIT_AUTOMATION_CONSUMER)
  async inboundAccepted(@Payload() message: StreamMessage): Promise<void> {
    if (message.event?.type !== EventTypes.inboundReceived) return;
    await this.automation.handle(message.event);
  }
}
