import type { Logger } from '@keywatch/logger';
import { writeOnce, type EventStore, type KeyedRow, type WriteResult } from './dedup.js';
import type { EncodedRow } from './rows.js';

/** Why a contribution's rows were not written: its partition was revoked, or the worker is closing. */
export class AbandonedError extends Error {
  override readonly name = 'AbandonedError';
  readonly retryable = true;
}

/** A row of a contribution that ClickHouse refused on its own: `index` into the rows given to `add`. */
export interface RowRefusal {
  index: number;
  reason: string;
}

/** Rows handed to the {@link Batcher} by one consumed Kafka batch. */
export interface Contribution {
  /**
   * Resolves once the rows are in ClickHouse, with the rows ClickHouse refused even alone (to be
   * dead-lettered by the contributor; usually none); rejects with {@link AbandonedError} if the
   * rows never will be written.
   */
  readonly done: Promise<RowRefusal[]>;
  /**
   * Gives the rows up: removed if still waiting; if an insert holding them is in flight, resolves
   * after that attempt settled (its outcome stands: written rows stay written, and a later owner's
   * dedup skips them), and no later attempt includes them.
   */
  abandon(): Promise<void>;
}

/** Tuning of {@link createBatcher}; the worker's config supplies each. */
export interface BatcherOptions<R extends KeyedRow = EncodedRow> {
  store: EventStore<R>;
  logger: Logger;
  /** Insert once this many rows wait. */
  maxRows: number;
  /** …or once the oldest waited this long (ms). */
  maxWaitMs: number;
  /** …or once no rows arrived for this long (ms): the consumers are blocked on us, nothing more comes. Default 5. */
  idleMs?: number;
  /**
   * Inserts in flight at once (default 2): while one is on the server, the next gathers and is sent.
   * While inserts fail only one is retried at a time.
   */
  maxInFlight?: number;
  retryMinDelayMs: number;
  retryMaxDelayMs: number;
  /** Called with each insert's outcome (metrics). */
  onWrite?: (result: WriteResult<R> & { rows: number; seconds: number }) => void;
  /** Called when inserts start failing (`true`) and when they succeed again (`false`). */
  onBlocked?: (blocked: boolean, error?: unknown) => void;
  /** Test hook: runs after an insert was acknowledged and before its contributions resolve. */
  afterInsert?: () => void | Promise<void>;
}

export interface Batcher<R extends KeyedRow = EncodedRow> {
  /**
   * Hands over rows to be written. `release` runs once, when the contribution has settled and no
   * insert attempt holds its rows any more (written, abandoned, or given up at close): from then on
   * the batcher never reads them again, so their storage may be reused (see row-pool.ts).
   */
  add(rows: R[], release?: () => void): Contribution;
  /** Rows waiting or in flight. */
  buffered(): number;
  /** Whether inserts are failing right now (back-pressure is on). */
  blocked(): boolean;
  /** Inserts what waits now, once more retried until `close`; afterwards everything left is abandoned. Idempotent. */
  close(): Promise<void>;
}

interface Entry<R> {
  rows: R[];
  addedAt: number;
  abandoned: boolean;
  settled: boolean;
  /** The insert holding the rows, while one does. */
  flight: Flight<R> | undefined;
  resolve: (refusals: RowRefusal[]) => void;
  reject: (error: Error) => void;
  release: (() => void) | undefined;
}

interface Flight<R> {
  entries: Array<Entry<R>>;
  rows: number;
  /** The attempt under way; settles (never rejects) when it is over. */
  attempt: Promise<unknown>;
}

/**
 * Collects rows from concurrently consumed partitions and writes them with {@link writeOnce}, up to
 * `maxInFlight` inserts at once, never two holding the same event_id (so each dedup lookup sees every
 * earlier copy). A failed insert is retried, never dropped, and holds back new ones: the pending
 * promises are the consumers' back-pressure.
 */
export function createBatcher<R extends KeyedRow = EncodedRow>(options: BatcherOptions<R>): Batcher<R> {
  const idleMs = options.idleMs ?? 5;
  const maxInFlight = Math.max(1, options.maxInFlight ?? 2);
  const log = options.logger.child({ component: 'batcher' });
  let waiting: Array<Entry<R>> = [];
  let waitingRows = 0;
  const flights = new Set<Flight<R>>();
  const inFlightIds = new Set<string>();
  let lastAddAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let closing = false;
  let isBlocked = false;
  const wakeSleeps = new Set<() => void>();

  // Every caller settles an entry while no insert attempt holds its rows (after the attempt, or
  // before any), which is what makes releasing their storage here safe.
  const settle = (entry: Entry<R>, outcome: RowRefusal[] | Error) => {
    if (entry.settled) return;
    entry.settled = true;
    if (outcome instanceof Error) entry.reject(outcome);
    else entry.resolve(outcome);
    entry.release?.();
  };

  const canLaunch = () => waiting.length > 0 && flights.size < maxInFlight && !(isBlocked && flights.size > 0);

  function schedule(): void {
    clearTimeout(timer);
    timer = undefined;
    if (closing || !canLaunch()) return;
    const now = Date.now();
    const oldest = waiting[0]?.addedAt ?? now;
    const due = waitingRows >= options.maxRows ? now : Math.min(oldest + options.maxWaitMs, lastAddAt + idleMs);
    if (due <= now) launch();
    else timer = setTimeout(schedule, due - now);
  }

  /** Starts one insert of whole waiting entries, up to maxRows (at least one entry, however large). */
  function launch(): Flight<R> | undefined {
    const taken: Array<Entry<R>> = [];
    const kept: Array<Entry<R>> = [];
    let rows = 0;
    for (const entry of waiting) {
      const fits = taken.length === 0 || rows + entry.rows.length <= options.maxRows;
      if (fits && (flights.size === 0 || !entry.rows.some((r) => inFlightIds.has(r.event_id)))) {
        taken.push(entry);
        rows += entry.rows.length;
      } else {
        kept.push(entry);
      }
    }
    if (taken.length === 0) return undefined; // every waiting entry overlaps an insert in flight: after it
    waiting = kept;
    waitingRows -= rows;
    const flight: Flight<R> = { entries: taken, rows, attempt: Promise.resolve() };
    for (const entry of taken) {
      entry.flight = flight;
      for (const r of entry.rows) inFlightIds.add(r.event_id);
    }
    flights.add(flight);
    void writeWithRetry(flight).finally(() => {
      for (const entry of taken) {
        entry.flight = undefined;
        for (const r of entry.rows) inFlightIds.delete(r.event_id);
      }
      flights.delete(flight);
      schedule();
    });
    schedule(); // a second insert may start at once
    return flight;
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(t);
        wakeSleeps.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      wakeSleeps.add(wake);
    });

  async function writeWithRetry(flight: Flight<R>): Promise<void> {
    let delay = options.retryMinDelayMs;
    for (let failures = 0; ; failures++) {
      const live = flight.entries.filter((e) => !e.abandoned);
      if (live.length === 0) return;
      const rows = live.length === 1 ? live[0]!.rows : live.flatMap((e) => e.rows);
      const started = performance.now();
      const current = (async () => {
        const result = await writeOnce(options.store, rows);
        await options.afterInsert?.();
        return result;
      })();
      flight.attempt = current.catch(() => undefined);
      try {
        const result = await current;
        options.onWrite?.({ ...result, rows: rows.length, seconds: (performance.now() - started) / 1000 });
        const refusals =
          result.refused.length === 0 ? undefined : new Map(result.refused.map((r) => [r.row, r.reason]));
        for (const entry of live) settle(entry, refusalsOf(entry, refusals));
        if (isBlocked) {
          isBlocked = false;
          log.info({ failures }, 'ClickHouse inserts succeed again; resuming');
          options.onBlocked?.(false);
        }
        return;
      } catch (error) {
        if (closing) {
          for (const entry of live)
            settle(entry, new AbandonedError('the worker is closing and ClickHouse did not take the rows'));
          return;
        }
        if (!isBlocked) {
          isBlocked = true;
          options.onBlocked?.(true, error);
        }
        const retryable = (error as { retryable?: unknown }).retryable !== false;
        log[retryable && failures < 3 ? 'warn' : 'error'](
          { err: error, rows: rows.length, failures: failures + 1, retry_in_ms: delay },
          'ClickHouse insert failed; retrying (offsets stay uncommitted)',
        );
        await sleep(delay);
        delay = Math.min(delay * 2, options.retryMaxDelayMs);
      }
    }
  }

  return {
    add(rows, release) {
      let resolve!: (refusals: RowRefusal[]) => void;
      let reject!: (error: Error) => void;
      const done = new Promise<RowRefusal[]>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      done.catch(() => undefined); // the contributor observes it; never an unhandled rejection
      const entry: Entry<R> = {
        rows,
        addedAt: Date.now(),
        abandoned: false,
        settled: false,
        flight: undefined,
        resolve,
        reject,
        release,
      };
      if (closing) {
        settle(entry, new AbandonedError('the worker is closing'));
      } else if (rows.length === 0) {
        settle(entry, []);
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
          if (entry.flight) await entry.flight.attempt;
          settle(entry, new AbandonedError('partition revoked while its rows were being written'));
        },
      };
    },
    buffered: () => waitingRows + [...flights].reduce((n, f) => n + f.rows, 0),
    blocked: () => isBlocked,
    async close() {
      if (closing) return;
      closing = true;
      clearTimeout(timer);
      for (const wake of [...wakeSleeps]) wake();
      // Each insert in flight makes one last attempt (retries give up while closing), then what
      // still waits is written in inserts of its own, one at a time.
      const settledAll = async () => {
        while (flights.size > 0) await Promise.all([...flights].map((f) => f.attempt));
      };
      await settledAll();
      while (waiting.length > 0) {
        if (!launch()) break;
        await settledAll();
      }
      for (const entry of waiting) settle(entry, new AbandonedError('the worker closed'));
      waiting = [];
      waitingRows = 0;
    },
  };
}

function refusalsOf<R>(entry: Entry<R>, refused: Map<R, string> | undefined): RowRefusal[] {
  if (!refused) return [];
  const out: RowRefusal[] = [];
  entry.rows.forEach((row, index) => {
    const reason = refused.get(row);
    if (reason !== undefined) out.push({ index, reason });
  });
  return out;
}
