import { closeAll, type Closeable } from '@keywatch/lifecycle';
import type { Logger } from '@keywatch/logger';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { buildApp } from './app.js';
import type { consoleConfig } from './config.js';
import { createMemorySessionStore } from './sessions.js';
import { createHttpUpstream } from './upstream.js';
import { ensureWebBuild } from './web-build.js';

export interface Console extends Closeable {
  app: FastifyInstance;
  /** Where it listens, e.g. http://127.0.0.1:8090. */
  url: string;
  /** Shutdown order: stop taking requests, then forget the sessions. */
  parts: Closeable[];
}

/** Builds the app if needed, then serves it with the session API and the proxy. */
export async function startConsole(config: z.output<typeof consoleConfig>, logger: Logger): Promise<Console> {
  const webRoot = await ensureWebBuild(logger);
  const sessions = createMemorySessionStore({ ttlMs: config.CONSOLE_SESSION_TTL });
  const app = buildApp({
    sessions,
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
    { name: 'sessions', close: () => sessions.close() },
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
