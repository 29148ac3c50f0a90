/** Anything that inserts rows into a table and resolves once ClickHouse acknowledged them. */
export interface RowInserter<R = object> {
  insert(table: string, rows: readonly R[]): Promise<void>;
}

/** Sizes of {@link groupInserts}. */
export interface GroupInsertsOptions {
  /** Rows per grouped insert at most; callers beyond it wait for the next one (a caller's rows are never split). Default 50 000. */
  maxRows?: number;
}

interface Waiting<R> {
  rows: readonly R[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for small inserts: at most one insert per table in flight, and the rows of every
 * call that arrives meanwhile go out together in the next one (ClickHouse wants about one insert per
 * second per table). Each call resolves once its own rows are acknowledged; after a failed grouped
 * insert each call is retried on its own, so refused rows fail only their caller.
 */
export function groupInserts<R>(target: RowInserter<R>, options: GroupInsertsOptions = {}): RowInserter<R> {
  const maxRows = options.maxRows ?? 50_000;
  const queues = new Map<string, Array<Waiting<R>>>();

  // Never throws, even when the target throws instead of rejecting: the call is settled either way.
  const settleAlone = async (table: string, call: Waiting<R>): Promise<void> => {
    try {
      await target.insert(table, call.rows);
      call.resolve();
    } catch (error) {
      call.reject(error);
    }
  };

  async function flush(table: string): Promise<void> {
    const waiting = queues.get(table);
    if (!waiting) return;
    try {
      while (waiting.length > 0) {
        const group: Array<Waiting<R>> = [];
        let count = 0;
        while (waiting.length > 0 && (group.length === 0 || count + waiting[0]!.rows.length <= maxRows)) {
          const call = waiting.shift()!;
          group.push(call);
          count += call.rows.length;
        }
        if (group.length === 1) {
          await settleAlone(table, group[0]!);
          continue;
        }
        try {
          await target.insert(
            table,
            group.flatMap((call) => call.rows),
          );
          for (const call of group) call.resolve();
        } catch {
          await Promise.all(group.map((call) => settleAlone(table, call)));
        }
      }
    } finally {
      // Nothing waits (no await since the loop's check): the next call starts a new queue.
      queues.delete(table);
    }
  }

  return {
    insert(table, rows) {
      if (rows.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        let waiting = queues.get(table);
        if (!waiting) {
          waiting = [];
          queues.set(table, waiting);
          // After this tick: the calls made in it share the first insert.
          queueMicrotask(() => void flush(table));
        }
        waiting.push({ rows, resolve, reject });
      });
    },
  };
}
