import { runService } from '@kera/service';
import { GatewayModule } from './gateway.module';
import { configureGatewayHttp } from './http/setup';

void runService({
  name: 'gateway',
  module: GatewayModule,
  consumers: [],
  port: (config) => config.port,
  bodyLimit: (config) => config.inboundMaxBytes,
  configureHttp: configureGatewayHttp,
});
