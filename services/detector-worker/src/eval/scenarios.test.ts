import { expect, test } from 'vitest';
import { memoryDetector } from '../testing.js';
import { score, summarise } from './run.js';
import { evaluationScenarios } from './scenarios.js';

// The evaluation suite in process (in-memory state): every attack caught with its type, the benign
// week quiet. `runEvaluation` runs the same scenarios through the real worker on the real engines.
test('the labelled scenarios: every attack caught with the right type, no alert on the benign week', async () => {
  const scenarios = evaluationScenarios();
  const d = memoryDetector();
  await d.feed(
    scenarios.flatMap((s) => s.events).sort((a, b) => a.ts.localeCompare(b.ts)),
    { batchSize: 1000 },
  );
  const results = score(scenarios, d.published);
  expect(results.filter((r) => r.label === 'attack' && !r.caught).map((r) => r.name)).toEqual([]);
  expect(results.filter((r) => r.falseAlerts.length > 0).map((r) => [r.name, r.falseAlerts])).toEqual([]);
  expect(summarise(results).every((t) => t.recall === 1)).toBe(true);
}, 120_000);
