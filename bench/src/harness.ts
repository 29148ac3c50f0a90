/**
 * The measuring part of the benchmarks: run an operation with a fixed number in flight, record
 * every latency, summarise; repeat and take medians. Latencies are in milliseconds throughout.
 * @module
 */

/** What {@link measure} runs. Give exactly one of `operations` and `durationMs`. */
export interface MeasureOptions {
  /** Shown in errors and progress lines. */
  name: string;
  /** Operations in flight at any moment (a closed loop: each finished one starts the next). */
  concurrency: number;
  /** Stop after this many operations. */
  operations?: number;
  /** Stop starting operations after this long (those in flight still finish and count). */
  durationMs?: number;
  /** Operations run first at the same concurrency and not recorded (JIT, script loading). Default 0. */
  warmup?: number;
  /** Initial room for latencies in `durationMs` mode (grown by doubling). Default 2^20. */
  capacity?: number;
  /** The operation; `i` counts from 0 within the measured (or warm-up) phase. */
  op: (i: number) => Promise<unknown>;
  /** Stops the measurement between operations; {@link measure} then rejects with the abort reason. */
  signal?: AbortSignal;
}

/** One measurement: throughput over the wall-clock time, and the latency distribution. */
export interface Measurement {
  name: string;
  concurrency: number;
  ops: number;
  seconds: number;
  opsPerSec: number;
  /** Latency percentiles and maximum, in ms. */
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** The medians of several runs of one measurement, each run kept. */
export interface Summary extends Measurement {
  runs: Measurement[];
}

const NS_PER_MS = 1e6;

/**
 * The `p`-th percentile (0–100) of ascending `sorted` values, nearest-rank: the smallest value with
 * at least p % of the values at or below it. NaN when empty.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0–100, got ${p}`);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  return sorted[rank - 1] ?? Number.NaN;
}

/** The median of `values` (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const upper = sorted[Math.floor(n / 2)] ?? Number.NaN;
  return n % 2 === 1 ? upper : ((sorted[n / 2 - 1] ?? Number.NaN) + upper) / 2;
}

/** Summarises latencies (ms, any order; sorted in place) measured over `seconds`. */
export function summarize(name: string, concurrency: number, latencies: Float64Array, seconds: number): Measurement {
  latencies.sort();
  const ops = latencies.length;
  return {
    name,
    concurrency,
    ops,
    seconds,
    opsPerSec: seconds > 0 ? ops / seconds : Number.NaN,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: ops > 0 ? (latencies[ops - 1] ?? Number.NaN) : Number.NaN,
  };
}

/** Field-wise medians of runs of the same measurement (ops and seconds too). */
export function medianOf(runs: readonly Measurement[]): Summary {
  const first = runs[0];
  if (first === undefined) throw new RangeError('medianOf needs at least one run');
  const of = (field: 'ops' | 'seconds' | 'opsPerSec' | 'p50' | 'p95' | 'p99' | 'max') =>
    median(runs.map((run) => run[field]));
  return {
    name: first.name,
    concurrency: first.concurrency,
    ops: of('ops'),
    seconds: of('seconds'),
    opsPerSec: of('opsPerSec'),
    p50: of('p50'),
    p95: of('p95'),
    p99: of('p99'),
    max: of('max'),
    runs: [...runs],
  };
}

/**
 * Runs `op` with `concurrency` operations in flight until `operations` are done or `durationMs`
 * has passed, timing each with `process.hrtime` into a preallocated buffer. The first failing
 * operation stops the measurement and is rethrown (with the measurement's name).
 */
export async function measure(options: MeasureOptions): Promise<Measurement> {
  const { name, concurrency, operations, durationMs, signal } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError(`${name}: concurrency must be a positive integer, got ${concurrency}`);
  if ((operations === undefined) === (durationMs === undefined))
    throw new RangeError(`${name}: give exactly one of operations and durationMs`);
  if (operations !== undefined && !(Number.isInteger(operations) && operations >= 0))
    throw new RangeError(`${name}: operations must be a non-negative integer, got ${operations}`);
  if (durationMs !== undefined && !(durationMs >= 0))
    throw new RangeError(`${name}: durationMs must be non-negative, got ${durationMs}`);

  const warmup = options.warmup ?? 0;
  if (warmup > 0)
    await drive({
      name: `${name} (warm-up)`,
      concurrency,
      limit: warmup,
      deadline: undefined,
      op: options.op,
      record: () => undefined,
      signal,
    });

  let latencies = new Float64Array(operations ?? options.capacity ?? 2 ** 20);
  let recorded = 0;
  const record = (ms: number) => {
    if (recorded === latencies.length) {
      const grown = new Float64Array(Math.max(1, latencies.length * 2));
      grown.set(latencies);
      latencies = grown;
    }
    latencies[recorded++] = ms;
  };
  const started = process.hrtime.bigint();
  const deadline = durationMs === undefined ? undefined : started + BigInt(Math.round(durationMs * NS_PER_MS));
  await drive({ name, concurrency, limit: operations, deadline, op: options.op, record, signal });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return summarize(name, concurrency, latencies.subarray(0, recorded), seconds);
}

interface Drive {
  name: string;
  concurrency: number;
  limit: number | undefined;
  deadline: bigint | undefined;
  op: (i: number) => Promise<unknown>;
  record: (ms: number) => void;
  signal: AbortSignal | undefined;
}

/** The closed loop behind {@link measure}: `concurrency` workers pulling operation numbers. */
async function drive({ name, concurrency, limit, deadline, op, record, signal }: Drive): Promise<void> {
  let issued = 0;
  let failure: { error: unknown; i: number } | undefined;
  const worker = async () => {
    while (failure === undefined && !signal?.aborted) {
      if (limit !== undefined && issued >= limit) return;
      const t0 = process.hrtime.bigint();
      if (deadline !== undefined && t0 >= deadline) return;
      const i = issued++;
      try {
        await op(i);
      } catch (error) {
        failure ??= { error, i };
        return;
      }
      record(Number(process.hrtime.bigint() - t0) / NS_PER_MS);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (failure !== undefined) {
    const reason = failure.error instanceof Error ? failure.error.message : String(failure.error);
    throw new Error(`${name}: operation ${failure.i} failed: ${reason}`, { cause: failure.error });
  }
  signal?.throwIfAborted();
}

/**
 * Runs `fn` `runs` times (each run measures the same named figures, e.g. a baseline and what is
 * compared with it, so both see the same machine state) and returns each figure's medians.
 */
export async function repeat<K extends string>(
  runs: number,
  fn: (run: number) => Promise<Record<K, Measurement>>,
): Promise<Record<K, Summary>> {
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`runs must be a positive integer, got ${runs}`);
  const results: Array<Record<K, Measurement>> = [];
  for (let run = 0; run < runs; run += 1) results.push(await fn(run));
  const names = Object.keys(results[0] ?? {}) as K[];
  const out = {} as Record<K, Summary>;
  for (const name of names) out[name] = medianOf(results.map((result) => result[name]));
  return out;
}

/**
 * The shortest span a rate is taken over. Below it one poll or one fetch saw every event, and
 * count ÷ span is an artefact (a 5 000-event `--quick` ingest run printed 5 000 000 events/s).
 */
export const MIN_RATE_SPAN_S = 0.25;

/** `count` per second over `seconds`, rounded; NaN ("not measured") when the span is too short to be a measurement. */
export function rateOver(count: number, seconds: number): number {
  return count > 0 && seconds >= MIN_RATE_SPAN_S ? Math.round(count / seconds) : Number.NaN;
}
