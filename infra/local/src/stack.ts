import { modernClickhouseEngine } from './clickhouse-modern.js';
import { clickhouseEngine, kafkaEngine, redisEngine, type Engine, type Progress } from './engines.js';
import { runningPid, stopProcess } from './processes.js';
import { isLocalHost, type StackSettings } from './settings.js';

/** How one engine is being provided. */
export type EngineState = 'started' | 'running' | 'external' | 'down';

export interface EngineStatus {
  name: Engine['name'];
  address: string;
  /** `running`/`started`: this stack owns the process; `external`: something else answers there. */
  state: EngineState;
  pid?: number;
  logFile?: string;
}

export function stackEngines(settings: StackSettings): Engine[] {
  const clickhouse =
    settings.clickhouse.engine === 'modern' ? modernClickhouseEngine(settings) : clickhouseEngine(settings);
  return [redisEngine(settings), clickhouse, kafkaEngine(settings)];
}

function hostOf(settings: StackSettings, engine: Engine): string {
  return engine.name === 'kafka'
    ? settings.kafka.host
    : engine.name === 'clickhouse'
      ? settings.clickhouse.host
      : settings.redis.host;
}

async function statusOf(engine: Engine): Promise<EngineStatus> {
  const pid = runningPid(engine.process);
  const healthy = await engine.healthy();
  const base = { name: engine.name, address: engine.address, logFile: engine.process.logFile };
  if (pid !== undefined) return { ...base, state: healthy ? 'running' : 'down', pid };
  return { ...base, state: healthy ? 'external' : 'down' };
}

/**
 * Makes every engine answer: uses what already answers at the configured address, starts the rest
 * (installing or downloading what is missing). Idempotent: a second `up` changes nothing.
 */
export async function stackUp(settings: StackSettings, progress: Progress): Promise<EngineStatus[]> {
  // Independent engines start concurrently; the slow part of a cold start (apt, Maven) overlaps.
  return Promise.all(
    stackEngines(settings).map(async (engine) => {
      const status = await statusOf(engine);
      if (status.state !== 'down') return status;
      if (!isLocalHost(hostOf(settings, engine))) {
        throw new Error(
          `${engine.name} does not answer at ${engine.address}, and the stack only starts servers on this machine`,
        );
      }
      if (status.pid !== undefined) await stopProcess(engine.process); // ours, alive but unhealthy
      await engine.start(progress);
      return { ...(await statusOf(engine)), state: 'started' as const };
    }),
  );
}

/** Stops only the servers this stack started; external ones are left alone. */
export async function stackDown(settings: StackSettings, progress: Progress): Promise<EngineStatus[]> {
  // Kafka first: it is the one most likely to be writing when the machine goes down.
  const engines = stackEngines(settings).reverse();
  const result: EngineStatus[] = [];
  for (const engine of engines) {
    if (await stopProcess(engine.process)) progress(`stopped ${engine.name}`);
    result.push(await statusOf(engine));
  }
  return result;
}

export function stackStatus(settings: StackSettings): Promise<EngineStatus[]> {
  return Promise.all(stackEngines(settings).map(statusOf));
}
