import { IpRangeSet } from '@keywatch/contracts';
import { createFeedbackView, createGeoLookup, parseThreatList } from '@keywatch/detector-worker';
import { expect, test } from 'vitest';
import { memoryDetector } from '@keywatch/detector-worker/testing';
import { score, summarise } from './run.js';
import { EVAL_THREAT_LIST } from './scenarios-feedback.js';
import { independentScenarios } from './scenarios-independent.js';
import { evaluationScenarios, type Scenario } from './scenarios.js';

async function evaluate(scenarios: Scenario[]) {
  // The scenarios' feedback and the evaluation's threat list, as runEvaluation gives them to the worker.
  const expires = new Date(Date.now() + 86_400_000).toISOString();
  const feedback = createFeedbackView({
    store: {
      version: () => Promise.resolve(1),
      loadAll: () =>
        Promise.resolve({
          suppressions: scenarios.flatMap((s) =>
            (s.feedback?.suppressions ?? []).map((rule, i) => ({
              ...rule,
              id: `sup_${i}`,
              expires_at: expires,
              reason: s.name,
              created_by: 'eval',
              created_at: expires,
              alert_id: null,
            })),
          ),
          trusted: scenarios.flatMap((s) =>
            (s.feedback?.trusted ?? []).map((t) => ({ ...t, updated_at: null, updated_by: null })),
          ),
          threats: [],
        }),
    },
  });
  const list = new IpRangeSet(parseThreatList('eval-threats', EVAL_THREAT_LIST));
  const d = memoryDetector({ feedback, threats: { match: (ip) => list.match(ip) } });
  await d.feed(
    scenarios.flatMap((s) => s.events).sort((a, b) => a.ts.localeCompare(b.ts)),
    { batchSize: 1000 },
  );
  return score(scenarios, d.published);
}

// The evaluation suites in process (in-memory state): every attack caught with its type, the benign
// scenarios quiet. `runEvaluation` runs the same scenarios through the real worker on the real engines.
test('the labelled scenarios: every attack caught with the right type, no alert on the benign week', async () => {
  const results = await evaluate(evaluationScenarios());
  expect(results.filter((r) => r.label === 'attack' && !r.caught).map((r) => r.name)).toEqual([]);
  expect(results.filter((r) => r.falseAlerts.length > 0).map((r) => [r.name, r.falseAlerts])).toEqual([]);
  expect(summarise(results).every((t) => t.recall === 1)).toBe(true);
}, 120_000);

test('the independent scenarios: every attack caught with the right type, the look-alikes quiet (a stale client at most one low item)', async () => {
  const results = await evaluate(independentScenarios());
  expect(results.filter((r) => r.label === 'attack' && !r.caught).map((r) => r.name)).toEqual([]);
  expect(results.filter((r) => r.falseAlerts.length > 0).map((r) => [r.name, r.falseAlerts])).toEqual([]);
  expect(summarise(results).map((t) => [t.type, t.recall])).toEqual(summarise(results).map((t) => [t.type, 1]));
}, 300_000);

test('the independent scenarios place their IPs where they mean to (geoip-lite answers)', () => {
  const geo = createGeoLookup();
  const where = (ip: string) => [geo(ip)?.country, geo(ip)?.radiusKm];
  expect(
    [
      '91.64.0.71',
      '77.0.0.92',
      '5.5.5.92',
      '178.0.0.91',
      '31.151.0.91',
      '93.0.0.91',
      '13.32.0.93',
      '27.0.0.71',
      '8.8.8.91',
      '52.95.0.111',
      '1.1.1.91',
    ].map(where),
  ).toEqual([
    ['DE', 5],
    ['DE', 20],
    ['DE', 200],
    ['DE', 100],
    ['NL', 5],
    ['FR', 5],
    ['US', 1000],
    ['JP', 1000],
    ['US', 1000],
    ['US', 1000],
    ['AU', 1000],
  ]);
});
