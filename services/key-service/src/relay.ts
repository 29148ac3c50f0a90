import { keyLifecycleMessageKey } from '@keywatch/contracts';
import type { EventProducer } from '@keywatch/kafka';
import { KeyStoreError, type KeyRecords, type LifecycleOutbox } from '@keywatch/keystore';
import type { Logger } from '@keywatch/logger';

/**
 * Publishes the keystore's lifecycle outbox to `key-lifecycle`. The outbox entry is written by the
 * same Lua script as the state change, and acknowledged only after Kafka acknowledged the event:
 * a crash in between republishes it (consumers are idempotent on event_id), nothing is lost.
 */
export function createLifecycleRelay(deps: {
  store: LifecycleOutbox;
  producer: EventProducer;
  topic: string;
  consumer: string;
  logger: Logger;
}) {
  let running = false;
  let loop: Promise<void> | undefined;
  async function run(): Promise<void> {
    let backoff = 100;
    while (running) {
      try {
        const pending = await deps.store.readOutbox(deps.consumer, 500, 500);
        if (pending.length > 0) {
          await deps.producer.send(
            deps.topic,
            pending.map(({ event }) => ({ key: keyLifecycleMessageKey(event), value: JSON.stringify(event) })),
          );
          await deps.store.ackOutbox(pending.map((p) => p.outboxId));
        }
        backoff = 100;
      } catch (error) {
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- close() clears it while the loop awaits
        if (!running) break;
        deps.logger.error({ err: error, retry_in_ms: backoff }, 'lifecycle relay failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }
  return {
    start(): void {
      running = true;
      loop = run();
    },
    /**
     * Stops after the batch in hand, waiting at most `timeoutMs` (default 5 s): during a Kafka outage
     * the producer's send never settles, and abandoning it is safe — the entries stay in the outbox
     * unacknowledged and the next relay publishes them.
     */
    async close(timeoutMs = 5000): Promise<void> {
      running = false;
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([loop, gaveUp]);
      clearTimeout(timer);
    },
  };
}

/** Marks keys whose expiry passed as `expired`, which announces it on `key-lifecycle`. */
export function createExpirySweeper(deps: { store: KeyRecords; intervalMs: number; logger: Logger }) {
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> | undefined;
  async function sweep(): Promise<void> {
    const now = new Date();
    for (const id of await deps.store.dueExpiries(now, 500)) {
      // Every instance sweeps; the one that loses the race gets invalid_transition, which is fine.
      await deps.store.transition(id, 'expire', 'system:expiry', 'expiry time reached', now).catch((error: unknown) => {
        if (!(error instanceof KeyStoreError && error.code === 'invalid_transition'))
          deps.logger.warn({ err: error, key_id: id }, 'could not mark key expired');
      });
    }
  }
  return {
    start(): void {
      timer = setInterval(() => {
        // A tick while a sweep is still running is skipped, not queued.
        sweeping ??= sweep()
          .catch((error: unknown) => deps.logger.error({ err: error }, 'expiry sweep failed'))
          .finally(() => (sweeping = undefined));
      }, deps.intervalMs);
    },
    async close(): Promise<void> {
      clearInterval(timer);
      await sweeping;
    },
  };
}
