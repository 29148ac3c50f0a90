/**
 * A process of `keywatch bench gateway`: `upstream` (the demo upstream alone) or `gateway` (the
 * reference gateway, configured by the usual variables, over the bench's own Redis key prefix in
 * `KW_BENCH_REDIS_PREFIX`; `KW_BENCH_DISCARD_EVENTS=true` builds auth events but sends none).
 * Prints `{"url": …}` on stdout once it serves (a gateway: once its lifecycle consumer has
 * joined), and exits on SIGTERM after a graceful close.
 * @module
 */
import { parseConfig } from '@keywatch/config';
import { closeAll } from '@keywatch/lifecycle';
import { createLogger } from '@keywatch/logger';
import { gatewayConfig } from './config.js';
import { startGateway } from './service.js';
import { startDemoUpstream } from './upstream.js';

async function main(kind: string | undefined): Promise<void> {
  const logger = createLogger({ name: `bench-${kind ?? 'child'}`, level: 'warn' });
  if (kind === 'upstream') {
    const upstream = await startDemoUpstream();
    process.once('SIGTERM', () => void upstream.close().finally(() => process.exit(0)));
    process.stdout.write(`${JSON.stringify({ url: upstream.url })}\n`);
    return;
  }
  if (kind !== 'gateway') throw new Error(`usage: bench-child upstream|gateway (got ${String(kind)})`);
  const config = parseConfig(gatewayConfig, process.env);
  const gateway = await startGateway(config, logger, { redisKeyPrefix: process.env.KW_BENCH_REDIS_PREFIX, discardEvents: process.env.KW_BENCH_DISCARD_EVENTS === 'true' });
  process.once('SIGTERM', () => void closeAll(gateway.parts, logger).finally(() => process.exit(0)));
  await gateway.invalidator.ready();
  process.stdout.write(`${JSON.stringify({ url: gateway.url })}\n`);
}

main(process.argv[2]).catch((error: unknown) => {
  process.stderr.write(`bench-child: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
