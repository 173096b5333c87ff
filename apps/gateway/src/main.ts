import { runService } from '@kera/service';
import { GatewayModule } from './gateway.module';
import { configureGatewayHttp } from './http/setup';

void runService({
  name: 'gateway',
  module: GatewayModule,
  consumers: [],
  port: (config) => config.port,
  // The API's JSON bodies stay small; the inbound webhook route sets KERA_INBOUND_MAX_BYTES.
  bodyLimit: () => 1024 * 1024,
  configureHttp: configureGatewayHttp,
});
