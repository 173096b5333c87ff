import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { StreamMessage } from '@kera/jetstream';
import { DISPATCH_CONSUMER } from './consumers';
import { DispatchService } from './dispatch.service';

@Controller()
export class DispatchController {
  constructor(private readonly dispatcher: DispatchService) {}

  @EventPattern(DISPATCH_CONSUMER)
  async ticketEvent(@Payload() message: StreamMessage): Promise<void> {
    if (message.event) await this.dispatcher.dispatch(message.event);
  }
}
