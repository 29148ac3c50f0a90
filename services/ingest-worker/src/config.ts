import { defineConfig, duration, enumOf, int, str } from '@keywatch/config';

/** The ingest worker's settings (engine variables plus its own); documented in the README. */
export const ingestConfig = defineConfig({
  /** Consumer group; every instance of the worker joins it and they split the partitions. Default `keywatch-ingest`. */
  INGEST_GROUP_ID: str({ default: 'keywatch-ingest' }),
  /** A batch is inserted once it holds this many rows. Default 20 000 (larger inserts amortise the views' per-insert cost). */
  INGEST_BATCH_MAX_ROWS: int({ default: 20_000, min: 1, max: 500_000 }),
  /** …or once its oldest row waited this long. Default 1s. */
  INGEST_BATCH_MAX_WAIT: duration({ default: '1s' }),
  /**
   * The insert format: `RowBinary` (the server reads numbers, dates and strings without parsing text;
   * 18.16 and current) or `JSONEachRow`. Default `RowBinary`.
   */
  INGEST_INSERT_FORMAT: enumOf(['RowBinary', 'JSONEachRow'], { default: 'RowBinary' }),
  /** Inserts in flight at once: the next batch gathers and is sent while one is on the server. Default 2. */
  INGEST_INSERTS_IN_FLIGHT: int({ default: 2, min: 1, max: 8 }),
  /** Consumer-group members one instance runs, sharing its batcher: one fetches while another's rows are inserted. Default 2. */
  INGEST_CONSUMERS: int({ default: 2, min: 1, max: 16 }),
  /** Bytes fetched per partition and request. Default 2 MiB. */
  INGEST_FETCH_MAX_BYTES: int({ default: 2 * 1024 * 1024, min: 1024 }),
  /** Bytes one fetch may bring over all its partitions; times INGEST_CONSUMERS, the bound on fetched memory. Default 8 MiB. */
  INGEST_FETCH_MAX_BYTES_TOTAL: int({ default: 8 * 1024 * 1024, min: 1024 }),
  /** Events whose ts is further ahead of the worker's clock are dead-lettered (reason too_new). Default 24h. */
  INGEST_MAX_FUTURE: duration({ default: '24h' }),
  /** First retry delay of a failed insert; doubles up to INGEST_RETRY_MAX_DELAY. Default 200ms. */
  INGEST_RETRY_MIN_DELAY: duration({ default: '200ms' }),
  /** Default 5s. */
  INGEST_RETRY_MAX_DELAY: duration({ default: '5s' }),
  /** Partitions of auth-events one consumer handles at once (auth-events has 12). Default 12. */
  INGEST_PARTITIONS_CONCURRENTLY: int({ default: 12, min: 1, max: 64 }),
  /**
   * How far V8 lets the old generation grow past its live size before the next full collection, in
   * percent (V8's `--heap-growing-percent`, applied by the worker at start; 0 leaves V8's own
   * heuristics, which allow up to 4×). Default 60: see the README's memory section.
   */
  INGEST_HEAP_GROWING_PERCENT: int({ default: 60, min: 0, max: 300 }),
  /** Entries of the per-IP geo cache. Default 50 000. */
  INGEST_GEO_CACHE_SIZE: int({ default: 50_000, min: 0 }),
  /** Prometheus `/metrics` port (0 = any free port; -1 = none). Default 9464. */
  INGEST_METRICS_PORT: int({ default: 9464, min: -1, max: 65_535 }),
  /** Default `127.0.0.1`. */
  INGEST_METRICS_HOST: str({ default: '127.0.0.1' }),
  /** Days of raw events (and of the dedup index); older events are dead-lettered, not ingested. Default 30. */
  INGEST_RETENTION_RAW_DAYS: int({ default: 30, min: 1 }),
  /** Days of minute rollups. Default 90. */
  INGEST_RETENTION_MINUTE_DAYS: int({ default: 90, min: 1 }),
  /** Days of hour rollups. Default 730. */
  INGEST_RETENTION_HOUR_DAYS: int({ default: 730, min: 1 }),
  /** Days of day rollups. Default 1825. */
  INGEST_RETENTION_DAY_DAYS: int({ default: 1825, min: 1 }),
  /** How often the retention job drops expired partitions (0 = never). Default 1h. */
  INGEST_RETENTION_INTERVAL: duration({ default: '1h' }),
});
