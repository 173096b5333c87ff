import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { StreamMessage } from '@kera/jetstream';
import { DISPATCH_CONSUMER } from './consumers';
import { TransitionFanOut } from './fan-out.service';

/** Ticket events in: every transition becomes one delivery request per send_webhook action. */
@Controller()
export class DispatchController {
  constructor(private readonly fanOut: TransitionFanOut) {}

  @EventPattern(DISPATCH_CONSUMER)
  ticketEvent(@Payload() message: StreamMessage): Promise<void> {
    return this.fanOut.fanOut(message);
  }
}
