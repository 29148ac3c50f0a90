import { decodeJson, KeyLifecycleEvent } from '@keywatch/contracts';
import type { createKafka } from '@keywatch/kafka';
import type { Logger } from '@keywatch/logger';
import type { KeyCache } from './cache.js';

type Kafka = ReturnType<typeof createKafka>;

/** Options of {@link createCacheInvalidator}. */
export interface CacheInvalidatorOptions {
  kafka: Kafka;
  /** The `key-lifecycle` topic, prefix included. */
  topic: string;
  /**
   * This instance's own consumer group (every gateway must see every event), e.g.
   * `gateway-<gateway id>-<boot nonce>`. Two running instances must never share one.
   */
  groupId: string;
  cache: KeyCache;
  logger: Logger;
  /** Called after each event is applied (metrics, tests). Must not throw. */
  onEvent?: (event: KeyLifecycleEvent, dropped: boolean) => void;
}

/** Keeps a {@link KeyCache} honest: drops the entry of every key named on `key-lifecycle`. */
export interface CacheInvalidator {
  /** Connects and subscribes; resolves once the consumer runs (not yet joined: see `ready`). */
  start(): Promise<void>;
  /**
   * Resolves after the first fetch following the first group join: from then on no lifecycle
   * event can be missed (the cache was emptied at that point).
   */
  ready(): Promise<void>;
  stats(): { events: number; invalid: number; joins: number };
  /** Leaves the group. Idempotent. */
  close(): Promise<void>;
}

/**
 * A consumer of `key-lifecycle` in a group of this instance's own, from the latest offset,
 * committing nothing. The cache is cleared on the first fetch after each group join: events
 * published while out of the group are never read (README). An invalid message is logged and skipped.
 */
export function createCacheInvalidator(options: CacheInvalidatorOptions): CacheInvalidator {
  const log = options.logger.child({ component: 'cache-invalidator', group: options.groupId });
  const consumer = options.kafka.consumer({
    groupId: options.groupId,
    maxWaitTimeInMs: 500,
    allowAutoTopicCreation: false,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
  });
  const counts = { events: 0, invalid: 0, joins: 0 };
  let clearPending = false;
  let resolveReady: () => void = () => undefined;
  const readyPromise = new Promise<void>((resolve) => (resolveReady = resolve));
  let closing: Promise<void> | undefined;

  consumer.on(consumer.events.GROUP_JOIN, () => {
    counts.joins += 1;
    clearPending = true;
    log.info({ joins: counts.joins }, 'joined the lifecycle group');
  });
  consumer.on(consumer.events.FETCH, () => {
    if (!clearPending) return;
    clearPending = false;
    options.cache.clear();
    resolveReady();
  });
  consumer.on(consumer.events.CRASH, (event) => {
    // Events may be missed until the consumer is back; the positive TTL bounds the staleness.
    log.error({ err: event.payload.error, restart: event.payload.restart }, 'lifecycle consumer crashed');
  });

  return {
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topics: [options.topic], fromBeginning: false });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ message }) => {
          const decoded = decodeJson(KeyLifecycleEvent, message.value);
          if (!decoded.ok) {
            counts.invalid += 1;
            // A key id in the message key is enough to drop the entry even if the body is bad.
            const keyId = message.key?.toString();
            if (keyId) options.cache.dropKey(keyId);
            log.warn({ issues: decoded.issues.length, key_id: keyId ?? null }, 'invalid lifecycle event skipped');
            return;
          }
          counts.events += 1;
          const dropped = options.cache.dropKey(decoded.value.key_id);
          log.debug({ key_id: decoded.value.key_id, type: decoded.value.type, dropped }, 'lifecycle event');
          try {
            options.onEvent?.(decoded.value, dropped);
          } catch {
            // a listener must not stop invalidation
          }
        },
      });
    },
    ready: () => readyPromise,
    stats: () => ({ ...counts }),
    close() {
      closing ??= consumer
        .disconnect()
        .catch((error: unknown) => log.warn({ err: error }, 'lifecycle consumer disconnect failed'));
      return closing;
    },
  };
}

/**
 * Starts the invalidator without waiting for Kafka, retrying every `retryMs` until it joins: serving
 * goes on meanwhile and the cache's TTL bounds staleness. Close the returned part to stop retrying.
 */
export function startInvalidatorInBackground(
  invalidator: CacheInvalidator,
  options: { log: Logger; message: string; retryMs?: number },
): { name: string; close(): void } {
  let retry: NodeJS.Timeout | undefined;
  let stopping = false;
  const start = (): void => {
    invalidator.start().catch((error: unknown) => {
      if (stopping) return;
      options.log.error({ err: error }, options.message);
      retry = setTimeout(start, options.retryMs ?? 5000).unref();
    });
  };
  start();
  return {
    name: 'lifecycle-retry',
    close: () => {
      stopping = true;
      clearTimeout(retry);
    },
  };
}
