import type { Logger } from '@keywatch/logger';

/** Something long-lived that must be shut down: a consumer, a producer, a client, a server. */
export interface Closeable {
  name: string;
  close(): Promise<void> | void;
}

/**
 * Closes every part in the given order, each even if an earlier one failed (BullMQ's worker does
 * the same), and reports failures together at the end.
 */
export async function closeAll(parts: readonly Closeable[], logger: Logger): Promise<void> {
  const failures: string[] = [];
  for (const part of parts) {
    try {
      await part.close();
    } catch (error) {
      failures.push(part.name);
      logger.error({ err: error, part: part.name }, 'close failed');
    }
  }
  if (failures.length > 0) throw new Error(`could not close cleanly: ${failures.join(', ')}`);
}

/**
 * Wires SIGTERM and SIGINT to an orderly shutdown of `parts` (in order: stop intake first, then
 * flush, then close clients). A second signal, or `graceMs` elapsing, exits at once.
 */
export function shutdownOnSignals(parts: readonly Closeable[], logger: Logger, graceMs = 30_000): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ graceMs }, 'shutdown took too long: exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    closeAll(parts, logger).then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

export { declaredNodeFlags, missingNodeFlags } from './node-flags.js';
