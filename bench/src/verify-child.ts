/**
 * One auth server as a child process of `keywatch bench verify`, over the bench rig's topics and
 * Redis prefix (`KW_BENCH_REDIS_PREFIX`); prints `{"url"}` once its lifecycle consumer is in.
 * With `KW_BENCH_CPU_PROFILE_DIR` it records a CPU profile from then until SIGTERM (start-up left
 * out), written as `<dir>/<AUTH_SERVER_ID>.cpuprofile` for Chrome DevTools or speedscope.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { authServerConfig, startAuthServer } from '@keywatch/auth-server';
import { parseConfig } from '@keywatch/config';
import { createLogger } from '@keywatch/logger';

const config = parseConfig(authServerConfig, process.env);
const server = await startAuthServer(config, createLogger({ name: 'bench-auth-server', level: config.LOG_LEVEL }), {
  redisKeyPrefix: process.env.KW_BENCH_REDIS_PREFIX,
});
await server.invalidator.ready();
const profileDir = process.env.KW_BENCH_CPU_PROFILE_DIR;
const session = profileDir ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.once('SIGTERM', () => {
  const stopped = session
    ? session.post('Profiler.stop').then(({ profile }) => {
        const file = path.join(profileDir!, `${config.AUTH_SERVER_ID ?? 'auth-server'}.cpuprofile`);
        writeFileSync(file, JSON.stringify(profile));
      })
    : Promise.resolve();
  void stopped.then(() => server.close()).finally(() => process.exit(0));
});
