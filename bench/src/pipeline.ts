import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineConfig } from '@keywatch/config';
import { createLogger } from '@keywatch/logger';
import type { SuiteResult } from './keys.js';
import { median } from './harness.js';
import { engineCpuSeconds } from './procs.js';
import { figure, type Figure } from './report.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const logger = () => createLogger({ name: 'bench', level: 'warn' });
/** The median of the runs that measured a figure; NaN ("not measured") when none did. */
const measuredMedian = (values: readonly number[]) => median(values.filter(Number.isFinite));

/**
 * `keywatch bench ingest` (issue 5): the ingest worker's sustained events/s (in a process of its
 * own) next to raw KafkaJS consumption, raw ClickHouse inserts, the floor (ClickHouse alone taking
 * the ready rows into the worker's table and views) and ClickHouse's Kafka engine, on
 * the same messages in the same run; the worker's peak RSS. Three runs (one with `quick`), medians
 * reported: the machine is shared, and ratios within a run say more than absolute rates.
 */
export async function benchIngestSuite(options: {
  config: EngineConfig;
  quick: boolean;
  runs?: number;
}): Promise<SuiteResult> {
  // Loaded on demand: the bench brings geoip-lite's data into memory for the raw-insert baseline.
  const { benchIngest, FIGURES } = await import('./ingest/run.js');
  const runs: Array<Awaited<ReturnType<typeof benchIngest>>> = [];
  for (let i = 0; i < (options.runs ?? (options.quick ? 1 : 3)); i++) {
    runs.push(
      await benchIngest({
        kafkaBrokers: options.config.KAFKA_BROKERS,
        clickhouseUrl: options.config.CLICKHOUSE_URL,
        repoRoot,
        logger: logger(),
        events: options.quick ? 5_000 : 200_000,
        kafkaEngine: !options.quick,
        cpuProbe: engineCpuSeconds,
      }),
    );
  }
  const rateOf = (name: string) =>
    median(
      runs
        .map((r) => r.figures.find((f) => f.name.startsWith(name))?.eventsPerSecond ?? Number.NaN)
        .filter(Number.isFinite),
    );
  const engineOf = () =>
    median(
      runs
        .map((r) => r.figures.find((f) => f.name === FIGURES.engine))
        .map((f) => (f?.endToEndSeconds && f.events > 0 ? f.events / f.endToEndSeconds : Number.NaN))
        .filter(Number.isFinite),
    );
  const raw = rateOf(FIGURES.raw);
  const worker = rateOf(FIGURES.worker);
  const figures: Figure[] = [
    figure(`${FIGURES.raw}, sustained`, raw, 'events/s'),
    figure(`${FIGURES.worker}, sustained`, worker, 'events/s', {
      baseline: { name: FIGURES.raw, value: raw },
      target: { atLeast: 50_000 },
    }),
    figure(`${FIGURES.defaults}, sustained`, rateOf(FIGURES.defaults), 'events/s', {
      baseline: { name: FIGURES.raw, value: raw },
    }),
    figure(FIGURES.inserts, rateOf(FIGURES.inserts), 'events/s'),
  ];
  const engine = engineOf();
  if (Number.isFinite(engine))
    figures.push(figure(`${FIGURES.engine}, from the view's creation`, Math.round(engine), 'events/s'));
  figures.push(
    figure(
      'ingest worker vs raw consumption (median of per-run ratios)',
      measuredMedian(runs.map((r) => r.workerVsRawConsumption)),
      '×',
      { target: { atLeast: 0.6 } },
    ),
  );
  if (Number.isFinite(engine))
    figures.push(
      figure(
        'ingest worker vs Kafka engine (median of per-run ratios)',
        measuredMedian(runs.map((r) => r.workerVsKafkaEngine)),
        '×',
        { target: { atLeast: 1 } },
      ),
    );
  // The floor (ClickHouse alone taking the ready rows into the worker's table and views, no Kafka)
  // bounds every design's ratio to raw consumption on this machine; worker/floor is what the rest
  // (consumption, validation, enrichment, dedup, commits) costs on top.
  const floor = rateOf(FIGURES.floor);
  if (Number.isFinite(floor)) {
    figures.push(
      figure(`${FIGURES.floor}, sustained`, floor, 'events/s', { baseline: { name: FIGURES.raw, value: raw } }),
    );
    figures.push(
      figure(
        'floor vs raw consumption (median of per-run ratios): the bound on any design',
        measuredMedian(runs.map((r) => r.floorVsRawConsumption)),
        '×',
      ),
    );
    figures.push(
      figure(
        'ingest worker vs the floor (median of per-run ratios)',
        measuredMedian(runs.map((r) => r.workerVsFloor)),
        '×',
      ),
    );
    const perEvent = (name: string, part: 'bench' | 'clickhouse' | 'kafka' | 'machine') =>
      median(
        runs
          .map((r) => r.figures.find((f) => f.name === name)?.cpuPerEventUs?.[part] ?? Number.NaN)
          .filter(Number.isFinite),
      );
    figures.push(
      figure(
        'CPU per event: ClickHouse taking a row into the table and views (floor)',
        perEvent(FIGURES.floor, 'clickhouse'),
        'µs',
      ),
    );
    figures.push(
      figure(
        'CPU per event: raw consumption, consumer + Kafka broker',
        perEvent(FIGURES.raw, 'bench') + perEvent(FIGURES.raw, 'kafka'),
        'µs',
      ),
    );
    const bound = median(runs.map((r) => r.cpuBoundEventsPerSecond).filter((b) => b > 0));
    figures.push(
      figure("the machine's bound on any design: cores ÷ those CPU costs per event", bound, 'events/s', {
        baseline: { name: FIGURES.raw, value: raw },
      }),
    );
    // A worker in JavaScript reads each message and writes each row at least: with only that added.
    const parseUs = median(runs.map((r) => r.jsParseStringifyUs).filter((us) => us > 0));
    if (Number.isFinite(parseUs)) {
      figures.push(
        figure('CPU per event: JSON.parse of the message + JSON.stringify of its row (bench process)', parseUs, 'µs'),
      );
      const jsBound = median(runs.map((r) => r.cpuBoundJsEventsPerSecond).filter((b) => b > 0));
      figures.push(
        figure(
          "the machine's bound on a JavaScript worker: cores ÷ (those costs + parse and stringify)",
          jsBound,
          'events/s',
          { baseline: { name: FIGURES.raw, value: raw } },
        ),
      );
    }
  }
  figures.push(
    figure(
      'ingest worker peak RSS (its own process, with its launch flags)',
      median(runs.map((r) => r.workerRssMb)),
      'MB',
      { target: { below: 400 } },
    ),
  );
  figures.push(
    figure(
      'ingest worker peak RSS (its own process, V8 defaults)',
      median(runs.map((r) => r.defaultsWorkerRssMb)),
      'MB',
    ),
  );
  figures.push(
    figure(
      'ingest worker on V8 defaults vs raw consumption (median of per-run ratios)',
      measuredMedian(runs.map((r) => r.defaultsWorkerVsRawConsumption)),
      '×',
    ),
  );
  // What the launch flags cost or bring, judged within each run: medians of the two rates taken
  // separately can pair one run's quiet minute with another's busy one.
  const flagsVsDefaults = runs.map((r) => {
    const rate = (name: string) => r.figures.find((f) => f.name === name)?.eventsPerSecond ?? Number.NaN;
    const [flags, defaults] = [rate(FIGURES.worker), rate(FIGURES.defaults)];
    return defaults > 0 && Number.isFinite(flags) ? Math.round((flags / defaults) * 100) / 100 : Number.NaN;
  });
  if (flagsVsDefaults.some(Number.isFinite))
    figures.push(
      figure(
        'ingest worker with its launch flags vs on V8 defaults (median of per-run ratios)',
        median(flagsVsDefaults.filter(Number.isFinite)),
        '×',
      ),
    );
  return { figures, notes: { ingest: runs } };
}

/** `keywatch bench analytics` (issue 5): a per-key 24 h minute series over N events, p95 (target < 300 ms on 10 M). */
export async function benchAnalyticsSuite(options: { config: EngineConfig; quick: boolean }): Promise<SuiteResult> {
  const { benchAnalytics } = await import('./analytics/run.js');
  const events = options.quick ? 20_000 : 10_000_000;
  const result = await benchAnalytics({
    clickhouseUrl: options.config.CLICKHOUSE_URL,
    repoRoot,
    logger: logger(),
    events,
  });
  return {
    figures: [
      figure(`analytics 24 h minute series p50 (${events.toLocaleString('en-US')} events)`, result.p50Ms, 'ms'),
      figure(`analytics 24 h minute series p95 (${events.toLocaleString('en-US')} events)`, result.p95Ms, 'ms', {
        target: { below: 300 },
      }),
      figure(`request search page p50 (${events.toLocaleString('en-US')} events)`, result.search.p50Ms, 'ms'),
      figure(`request search page p95 (${events.toLocaleString('en-US')} events)`, result.search.p95Ms, 'ms', {
        target: { below: 300 },
      }),
    ],
    notes: { analytics: result },
  };
}
