import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveStackSettings, stackUp } from '@keywatch/local-stack';
import { startContainers } from './containers.js';
import type { EngineEndpoints } from './endpoints.js';

export type { EngineEndpoints } from './endpoints.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

type Env = Readonly<Record<string, string | undefined>>;

function dockerMayAnswer(env: Env): boolean {
  return Boolean(env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

/**
 * `KEYWATCH_TEST_ENGINES` chooses: `local` (the engines at KAFKA_BROKERS / CLICKHOUSE_URL /
 * REDIS_URL, starting the local stack for any local one that does not answer), `containers`
 * (testcontainers, pinned images as in docker-compose.yml), or `auto` (default: containers when a
 * Docker engine answers and no engine URL is set, else local).
 */
export async function provideEngines(
  env: Env,
  progress: (line: string) => void,
): Promise<{ endpoints: EngineEndpoints; stop: () => Promise<void> }> {
  const mode = env.KEYWATCH_TEST_ENGINES ?? 'auto';
  if (!['auto', 'local', 'containers'].includes(mode))
    throw new Error(`KEYWATCH_TEST_ENGINES must be auto, local or containers, got "${mode}"`);
  const urlsGiven = Boolean(env.KAFKA_BROKERS ?? env.CLICKHOUSE_URL ?? env.REDIS_URL);
  if (mode === 'containers' || (mode === 'auto' && !urlsGiven && dockerMayAnswer(env))) {
    const started = await startContainers(progress).catch((error: unknown) => {
      if (mode === 'containers') throw error;
      progress(
        `no container runtime (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); using the local stack`,
      );
      return undefined;
    });
    if (started) return started;
  }
  const settings = resolveStackSettings(env, repoRoot);
  await stackUp(settings, progress);
  return {
    endpoints: {
      kafkaBrokers: (env.KAFKA_BROKERS ?? `${settings.kafka.host}:${settings.kafka.port}`)
        .split(',')
        .map((b) => b.trim()),
      clickhouseUrl: settings.clickhouse.url,
      redisUrl: settings.redis.url,
      source: 'local-stack',
    },
    // The local stack outlives the run: the next run starts in well under a second.
    stop: async () => {},
  };
}
