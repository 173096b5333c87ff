import { runService } from '@kera/service';
import { dispatcherConsumers } from './consumers';
import { DispatcherModule } from './dispatcher.module';

void runService({
  name: 'dispatcher',
  module: DispatcherModule,
  consumers: dispatcherConsumers,
  port: (config) => config.healthPort ?? 8082,
});
