import type { Logger } from '@keywatch/logger';
import { writeOnce, type EventStore, type WriteResult } from './dedup.js';
import type { EnrichedRow } from './rows.js';

/** Why a contribution's rows were not written: its partition was revoked, or the worker is closing. */
export class AbandonedError extends Error {
  override readonly name = 'AbandonedError';
  readonly retryable = true;
}

/** Rows handed to the {@link Batcher} by one consumed Kafka batch. */
export interface Contribution {
  /** Resolves once the rows are in ClickHouse; rejects with {@link AbandonedError} if they never will be. */
  readonly done: Promise<void>;
  /**
   * Gives the rows up: removed if still waiting; if an insert holding them is in flight, resolves
   * after that attempt settled (its outcome stands: written rows stay written, and a later owner's
   * dedup skips them), and no later attempt includes them.
   */
  abandon(): Promise<void>;
}

/** Tuning of {@link createBatcher}; the worker's config supplies each. */
export interface BatcherOptions {
  store: EventStore;
  logger: Logger;
  /** Insert once this many rows wait. */
  maxRows: number;
  /** …or once the oldest waited this long (ms). */
  maxWaitMs: number;
  /** …or once no rows arrived for this long (ms): the consumer is blocked on us, nothing more comes. Default 5. */
  idleMs?: number;
  retryMinDelayMs: number;
  retryMaxDelayMs: number;
  /** Called with each insert's outcome (metrics). */
  onWrite?: (result: WriteResult & { rows: number; seconds: number }) => void;
  /** Called when inserts start failing (`true`) and when they succeed again (`false`). */
  onBlocked?: (blocked: boolean, error?: unknown) => void;
  /** Test hook: runs after an insert was acknowledged and before its contributions resolve. */
  afterInsert?: () => void | Promise<void>;
}

export interface Batcher {
  add(rows: EnrichedRow[]): Contribution;
  /** Rows waiting or in flight. */
  buffered(): number;
  /** Whether inserts are failing right now (back-pressure is on). */
  blocked(): boolean;
  /** Inserts what waits now, once more retried until `close`; afterwards everything left is abandoned. Idempotent. */
  close(): Promise<void>;
}

interface Entry {
  rows: EnrichedRow[];
  addedAt: number;
  abandoned: boolean;
  settled: boolean;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Collects rows from concurrently consumed partitions and writes them with {@link writeOnce}, one
 * insert at a time, by size, age or idleness. A failed insert is retried with exponential backoff
 * (never dropped): meanwhile the contributors' promises stay pending, so the consumer neither
 * commits nor fetches more for those partitions — that is the back-pressure, and it bounds memory
 * to what was fetched.
 */
export function createBatcher(options: BatcherOptions): Batcher {
  const idleMs = options.idleMs ?? 5;
  const log = options.logger.child({ component: 'batcher' });
  let waiting: Entry[] = [];
  let waitingRows = 0;
  let inFlight: Entry[] = [];
  let attempt: Promise<unknown> = Promise.resolve();
  let lastAddAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let loop: Promise<void> = Promise.resolve();
  let closing = false;
  let isBlocked = false;
  let wakeSleep: (() => void) | undefined;

  const settle = (entry: Entry, error?: Error) => {
    if (entry.settled) return;
    entry.settled = true;
    if (error) entry.reject(error);
    else entry.resolve();
  };

  const schedule = () => {
    if (running || closing || waiting.length === 0) return;
    const now = Date.now();
    const oldest = waiting[0]?.addedAt ?? now;
    const due = closing || waitingRows >= options.maxRows ? now : Math.min(oldest + options.maxWaitMs, lastAddAt + idleMs);
    clearTimeout(timer);
    timer = setTimeout(() => {
      loop = run();
    }, Math.max(0, due - now));
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wakeSleep = () => {
        clearTimeout(t);
        resolve();
      };
    });

  async function run(): Promise<void> {
    if (running) return;
    running = true;
    try {
      while (waiting.length > 0) {
        // Whole contributions, up to maxRows (at least one, however large).
        const taken: Entry[] = [];
        let rows = 0;
        while (waiting.length > 0 && (taken.length === 0 || rows + (waiting[0]?.rows.length ?? 0) <= options.maxRows)) {
          const entry = waiting.shift()!;
          taken.push(entry);
          rows += entry.rows.length;
        }
        waitingRows -= rows;
        inFlight = taken;
        await writeWithRetry();
        inFlight = [];
        if (!closing && waitingRows < options.maxRows) break; // let the next rows gather; schedule() decides when
      }
    } finally {
      running = false;
      schedule();
    }
  }

  async function writeWithRetry(): Promise<void> {
    let delay = options.retryMinDelayMs;
    for (let failures = 0; ; failures++) {
      const live = inFlight.filter((e) => !e.abandoned);
      if (live.length === 0) return;
      const rows = live.flatMap((e) => e.rows);
      const started = performance.now();
      const current = (async () => {
        const result = await writeOnce(options.store, rows);
        await options.afterInsert?.();
        return result;
      })();
      attempt = current.catch(() => undefined);
      try {
        const result = await current;
        options.onWrite?.({ ...result, rows: rows.length, seconds: (performance.now() - started) / 1000 });
        for (const entry of live) settle(entry);
        if (isBlocked) {
          isBlocked = false;
          log.info({ failures }, 'ClickHouse inserts succeed again; resuming');
          options.onBlocked?.(false);
        }
        return;
      } catch (error) {
        if (closing) {
          for (const entry of live) settle(entry, new AbandonedError('the worker is closing and ClickHouse did not take the rows'));
          return;
        }
        if (!isBlocked) {
          isBlocked = true;
          options.onBlocked?.(true, error);
        }
        const retryable = (error as { retryable?: unknown }).retryable !== false;
        log[retryable && failures < 3 ? 'warn' : 'error']({ err: error, rows: rows.length, failures: failures + 1, retry_in_ms: delay }, 'ClickHouse insert failed; retrying (offsets stay uncommitted)');
        await sleep(delay);
        delay = Math.min(delay * 2, options.retryMaxDelayMs);
      }
    }
  }

  return {
    add(rows) {
      let resolve!: () => void;
      let reject!: (error: Error) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      done.catch(() => undefined); // the contributor observes it; never an unhandled rejection
      const entry: Entry = { rows, addedAt: Date.now(), abandoned: false, settled: false, resolve, reject };
      if (closing) {
        settle(entry, new AbandonedError('the worker is closing'));
      } else if (rows.length === 0) {
        settle(entry);
      } else {
        waiting.push(entry);
        waitingRows += rows.length;
        lastAddAt = entry.addedAt;
        schedule();
      }
      return {
        done,
        async abandon() {
          entry.abandoned = true;
          const index = waiting.indexOf(entry);
          if (index >= 0) {
            waiting.splice(index, 1);
            waitingRows -= entry.rows.length;
            settle(entry, new AbandonedError('partition revoked before its rows were written'));
            return;
          }
          if (inFlight.includes(entry)) await attempt;
          settle(entry, new AbandonedError('partition revoked while its rows were being written'));
        },
      };
    },
    buffered: () => waitingRows + inFlight.reduce((n, e) => n + e.rows.length, 0),
    blocked: () => isBlocked,
    async close() {
      if (closing) return;
      closing = true;
      clearTimeout(timer);
      wakeSleep?.();
      // The loop in progress makes one last attempt (its retries give up while closing), then one
      // more run takes what still waits.
      await loop;
      loop = run();
      await loop;
      for (const entry of [...waiting, ...inFlight]) settle(entry, new AbandonedError('the worker closed'));
      waiting = [];
      waitingRows = 0;
    },
  };
}
