/**
 * One auth server as a child process of `keywatch bench verify`, over the bench rig's topics and
 * Redis prefix (`KW_BENCH_REDIS_PREFIX`); prints `{"url"}` once its lifecycle consumer is in.
 * @module
 */
import { authServerConfig, startAuthServer } from '@keywatch/auth-server';
import { parseConfig } from '@keywatch/config';
import { createLogger } from '@keywatch/logger';

const config = parseConfig(authServerConfig, process.env);
const server = await startAuthServer(config, createLogger({ name: 'bench-auth-server', level: config.LOG_LEVEL }), {
  redisKeyPrefix: process.env.KW_BENCH_REDIS_PREFIX,
});
await server.invalidator.ready();
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.once('SIGTERM', () => void Promise.resolve(server.close()).finally(() => process.exit(0)));
