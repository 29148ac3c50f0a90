export { resolveStackSettings, isLocalHost, type StackSettings } from './settings.js';
export { stackUp, stackDown, stackStatus, type EngineStatus, type EngineState } from './stack.js';
export type { Progress } from './engines.js';
export { kraftSingleNode } from './engines.js';
export * from './cluster/index.js';
