export {
  test,
  expect,
  describe,
  type Fixtures,
  type KafkaFixture,
  type ClickHouseFixture,
  type RedisFixture,
} from './fixtures.js';
export { provideEngines, type EngineEndpoints } from './engines.js';
export { IMAGES } from './containers.js';
export { useCluster, type ClusterFixtures } from './cluster.js';
export * from './support.js';
