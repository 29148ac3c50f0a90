import { closeAll, type Closeable } from '@keywatch/lifecycle';
import type { Logger } from '@keywatch/logger';
import { createRedis } from '@keywatch/redis';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { buildApp } from './app.js';
import type { consoleConfig } from './config.js';
import { createRedisSessionStore } from './sessions.js';
import { createRedisSignInGuard } from './signin-guard.js';
import { createHttpUpstream } from './upstream.js';
import { ensureWebBuild } from './web-build.js';

export interface Console extends Closeable {
  app: FastifyInstance;
  /** Where it listens, e.g. http://127.0.0.1:8090. */
  url: string;
  /** Shutdown order: stop taking requests, then close the Redis connection (sessions stay in Redis). */
  parts: Closeable[];
}

/**
 * Builds the app if needed, then serves it with the session API and the proxy. Sessions and the
 * failed sign-in counts live in Redis, so any number of instances can share them behind a load balancer.
 */
export async function startConsole(
  config: z.output<typeof consoleConfig>,
  logger: Logger,
  options: { redisKeyPrefix?: string } = {},
): Promise<Console> {
  const webRoot = await ensureWebBuild(logger);
  const redis = createRedis({ url: config.REDIS_URL, keyPrefix: options.redisKeyPrefix, connectionName: 'console' });
  redis.on('error', (error: unknown) => logger.warn({ err: error }, 'redis connection problem'));
  const sessions = createRedisSessionStore({ redis, ttlMs: config.CONSOLE_SESSION_TTL });
  const app = buildApp({
    sessions,
    signInGuard: createRedisSignInGuard(redis),
    upstream: createHttpUpstream({
      keyServiceUrl: config.KEYWATCH_KEY_SERVICE_URL,
      analyticsUrl: config.KEYWATCH_ANALYTICS_URL,
    }),
    logger,
    sessionTtlMs: config.CONSOLE_SESSION_TTL,
    webRoot,
    publicUrl: config.CONSOLE_PUBLIC_URL,
  });
  const parts: Closeable[] = [
    { name: 'http', close: () => app.close() },
    {
      name: 'redis',
      close: () =>
        redis.quit().then(
          () => undefined,
          () => redis.disconnect(),
        ),
    },
  ];
  try {
    const url = await app.listen({ host: config.CONSOLE_HOST, port: config.CONSOLE_PORT });
    logger.info({ url }, 'console listening');
    return { name: 'console', app, url, parts, close: () => closeAll(parts, logger) };
  } catch (error) {
    await closeAll(parts, logger).catch(() => undefined);
    throw error;
  }
}
