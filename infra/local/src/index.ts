export {
  resolveStackSettings,
  isLocalHost,
  parseClickHouseEngine,
  stackEnvironment,
  CLICKHOUSE_ENGINES,
  type StackSettings,
  type ClickHouseEngine,
} from './settings.js';
export { stackUp, stackDown, stackStatus, type EngineStatus, type EngineState } from './stack.js';
export type { Progress } from './engines.js';
export { kraftSingleNode } from './engines.js';
export * from './cluster/index.js';
