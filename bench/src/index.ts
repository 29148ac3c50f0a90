/**
 * `@keywatch/bench`: benchmarks that print figures against baselines measured in the same run
 * (`keywatch bench`). Programs, not timed assertions: nothing here fails a test for being slow.
 * @module
 */
export {
  measure,
  median,
  medianOf,
  percentile,
  repeat,
  summarize,
  type Measurement,
  type MeasureOptions,
  type Summary,
} from './harness.js';
export {
  describeRun,
  figure,
  formatNumber,
  formatTable,
  printTable,
  RESULTS_DIR,
  startMeta,
  writeJson,
  type Figure,
  type RunMeta,
  type Target,
  type Verdict,
} from './report.js';
export { benchKeys, type KeysBenchOptions, type SuiteResult } from './keys.js';
export {
  isSuiteName,
  runSuites,
  SUITE_NAMES,
  SUITES,
  type BenchReport,
  type Suite,
  type SuiteContext,
  type SuiteName,
} from './suites.js';
