// The test support that runs outside vitest too (the evaluation, benchmarks, the screenshot tool):
// everything of the testkit but the fixtures.
export { repoRoot } from './engines.js';
export { freePort } from './free-port.js';
export { poll, pollUntil } from './poll.js';
export { collectMessages, type Collected } from './collect.js';
export { scrape, sumOf, metricSum } from './metrics.js';
export {
  createProducer,
  ephemeralTarget,
  prepareClickHouse,
  produceEvents,
  tail,
  type Engines,
  type StackTarget,
} from './stack.js';
export { groupLag, rssMb, startService, type Admin, type ServiceName, type ServiceProcess } from './processes.js';
export { startPrivateKafka, KAFKA_LIBS, type PrivateKafka } from './kafka-broker.js';
export { startPrivateRedis, type PrivateRedis } from './redis-server.js';
export { startProxy } from './tcp-proxy.js';
export { ensureDebianBinary } from './debian.js';
export {
  startCaddy,
  startNginx,
  CADDY_PATH,
  NGINX_PATH,
  type ProxyProcessOptions,
  type RunningProxy,
} from './proxies.js';
