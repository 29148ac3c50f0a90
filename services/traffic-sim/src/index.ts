export {
  ATTACKS,
  runHttpSimulation,
  sequentialSchedule,
  type Attack,
  type AttackWindow,
  type HttpSimulationOptions,
  type SimulationReport,
} from './traffic.js';
export { produceSyntheticEvents, type SyntheticEventsOptions } from './kafka-mode.js';
export { createKeyServiceClient, type KeyServiceClient, type SimKey } from './keys-client.js';
export { countryPools } from './geo.js';
export { diurnalFactor, seeded } from './random.js';
export { simConfig } from './config.js';
