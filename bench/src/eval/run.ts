import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFeedbackStore } from '@keywatch/alerts';
import type { Alert, AlertType } from '@keywatch/contracts';
import { createRedis } from '@keywatch/redis';
import { eventsSeen, startWorkerOn } from '@keywatch/detector-worker/testing';
import { createProducer, ephemeralTarget, poll, produceEvents, tail, type Engines } from '@keywatch/testkit/support';
import { independentScenarios } from './scenarios-independent.js';
import { EVAL_THREAT_LIST } from './scenarios-feedback.js';
import { evaluationScenarios, type Scenario } from './scenarios.js';

/** The labelled sets: `own` (written with the detectors) and `independent` (written against the issue and the contracts). */
export const LABELLED_SETS = { own: evaluationScenarios, independent: independentScenarios } as const;

/** Per scenario: what was expected and what the detector raised on its subject. */
export interface ScenarioResult {
  name: string;
  label: Scenario['label'];
  expect: AlertType | null;
  caught: boolean;
  /** Event time from the attack's start to the event that raised the expected alert, ms. */
  timeToDetectMs: number | null;
  /** Alerts on the subject that the label does not call for. */
  falseAlerts: Array<{ type: AlertType; severity: string }>;
  /** Alerts a benign scenario allows (see Scenario.tolerate). */
  tolerated: Array<{ type: AlertType; severity: string }>;
}

export interface EvaluationReport {
  results: ScenarioResult[];
  byType: Array<{
    type: AlertType;
    attacks: number;
    caught: number;
    recall: number;
    falseAlerts: number;
    medianTimeToDetectS: number | null;
  }>;
  benignFalseAlerts: number;
  events: number;
  wallMs: number;
}

// An alert is about its key when it names one, else about its source IP.
const subjectOf = (a: Alert) => [a.key_id ?? a.ip].filter((x): x is string => x !== null);

/** Whether an alert is the scenario's: see {@link Scenario.scope}. */
function owns(s: Scenario, a: Alert): boolean {
  if (!s.scope) return subjectOf(a).includes(s.subject);
  const { keys = [], tenants = [], ips = [] } = s.scope;
  if (a.key_id !== null) return keys.includes(a.key_id);
  if (a.tenant_id !== null) return tenants.includes(a.tenant_id);
  return a.ip !== null && ips.includes(a.ip);
}

/** Whether an alert is about the scenario's subject (a key, a tenant or a source IP). */
const about = (s: Scenario, a: Alert) =>
  s.scope
    ? a.key_id === s.subject || a.tenant_id === s.subject || (a.key_id === null && a.ip === s.subject)
    : subjectOf(a).includes(s.subject);

/** Scores alerts against labelled scenarios. */
export function score(scenarios: readonly Scenario[], alerts: readonly Alert[]): ScenarioResult[] {
  const unique = [...new Map(alerts.map((a) => [`${a.alert_id}:${a.severity}`, a])).values()];
  const latest = [...new Map(unique.map((a) => [a.alert_id, a])).values()];
  return scenarios.map((s) => {
    const mine = latest.filter((a) => owns(s, a));
    const hit = s.expect ? mine.filter((a) => a.type === s.expect && about(s, a)) : [];
    /* eslint-disable @typescript-eslint/no-base-to-string -- first_seen is an ISO string when present */
    const firstSeen = hit
      .map((a) => Date.parse(String(a.evidence.first_seen ?? a.window_end)))
      .sort((x, y) => x - y)[0];
    /* eslint-enable @typescript-eslint/no-base-to-string */
    const unexpected = mine
      .filter((a) => s.label === 'benign' || a.type !== s.expect)
      .filter((a) => !(s.label === 'attack' && a.type !== s.expect && RELATED[s.expect ?? '']?.includes(a.type)));
    const tolerated = s.tolerate
      ? unexpected
          .filter((a) => SEVERITY_ORDER.indexOf(a.severity) <= SEVERITY_ORDER.indexOf(s.tolerate?.maxSeverity ?? 'low'))
          .slice(0, s.tolerate.count)
      : [];
    return {
      name: s.name,
      label: s.label,
      expect: s.expect ?? null,
      caught: hit.length > 0,
      timeToDetectMs:
        firstSeen !== undefined && s.attackStart !== undefined ? Math.max(0, firstSeen - s.attackStart) : null,
      falseAlerts: unexpected
        .filter((a) => !tolerated.includes(a))
        .map((a) => ({ type: a.type, severity: a.severity })),
      tolerated: tolerated.map((a) => ({ type: a.type, severity: a.severity })),
    };
  });
}

const SEVERITY_ORDER = ['low', 'medium', 'high', 'critical'];

// Alerts an attack legitimately raises besides its main one (a leap to another continent is also a new country).
const RELATED: Record<string, AlertType[]> = {
  impossible_travel: ['geo_new_country'],
  credential_stuffing: ['geo_new_country', 'impossible_travel'],
  // A listed network elsewhere is also a new country; a browser is also a new kind of client.
  threat_list_ip: ['geo_new_country', 'impossible_travel'],
  secret_key_client_side: ['unfamiliar_client'],
  failed_auth_spike: [],
};

/** Per-type table. */
export function summarise(results: readonly ScenarioResult[]): EvaluationReport['byType'] {
  const types = [...new Set(results.flatMap((r) => (r.expect ? [r.expect] : [])))].sort();
  return types.map((type) => {
    const attacks = results.filter((r) => r.expect === type);
    const caught = attacks.filter((r) => r.caught);
    const ttd = caught.map((r) => r.timeToDetectMs ?? 0).sort((a, b) => a - b);
    return {
      type,
      attacks: attacks.length,
      caught: caught.length,
      recall: attacks.length ? caught.length / attacks.length : 0,
      falseAlerts: results.flatMap((r) => r.falseAlerts).filter((f) => f.type === type).length,
      medianTimeToDetectS: ttd.length ? Math.round((ttd[Math.floor(ttd.length / 2)] ?? 0) / 1000) : null,
    };
  });
}

/** The scenarios' suppression rules and trusted networks, in the store the worker reads (the run's Redis prefix). */
async function writeFeedback(target: { redisUrl: string; redisPrefix: string }, scenarios: readonly Scenario[]) {
  const redis = createRedis({ url: target.redisUrl, keyPrefix: target.redisPrefix, connectionName: 'eval-feedback' });
  try {
    const store = createFeedbackStore({ redis });
    const now = new Date();
    let n = 0;
    for (const s of scenarios) {
      for (const rule of s.feedback?.suppressions ?? [])
        await store.addSuppression({
          ...rule,
          id: `sup_eval_${n++}`,
          expires_at: new Date(now.getTime() + 86_400_000).toISOString(),
          reason: s.name,
          created_by: 'eval',
          created_at: now.toISOString(),
          alert_id: null,
        });
      for (const networks of s.feedback?.trusted ?? [])
        await store.setTrustedNetworks({ ...networks, updated_at: now.toISOString(), updated_by: 'eval' });
    }
  } finally {
    redis.disconnect();
  }
}

/**
 * Runs the labelled scenarios through the real detector worker on real engines (throwaway topics,
 * database and Redis prefix), in one event-time timeline, and scores the alerts.
 */
export async function runEvaluation(
  engines: Engines,
  options: { scenarios?: Scenario[]; set?: keyof typeof LABELLED_SETS; print?: (line: string) => void } = {},
): Promise<EvaluationReport> {
  const print = options.print ?? (() => undefined);
  if (options.set)
    print(
      `== ${options.set} labelled set (bench/src/eval/${options.set === 'own' ? 'scenarios.ts' : 'scenarios-independent.ts'})`,
    );
  const scenarios = options.scenarios ?? LABELLED_SETS[options.set ?? 'own']();
  const events = scenarios.flatMap((s) => s.events).sort((a, b) => a.ts.localeCompare(b.ts));
  const { target, dispose } = await ephemeralTarget(engines);
  const alerts: Alert[] = [];
  const started = Date.now();
  try {
    const producer = await createProducer(target.kafka);
    print(`producing ${events.length} events of ${scenarios.length} scenarios`);
    await produceEvents(producer, target.topicPrefix + 'auth-events', events);
    await producer.close();
    const reader = await tail<Alert>(target, target.topicPrefix + 'security-alerts', (a) => alerts.push(a));
    await writeFeedback(target, scenarios);
    const lists = await mkdtemp(path.join(tmpdir(), 'keywatch-eval-'));
    const listFile = path.join(lists, 'eval-threats.txt');
    await writeFile(listFile, EVAL_THREAT_LIST);
    const worker = await startWorkerOn(target, {
      DETECTOR_THREAT_LISTS: listFile,
      DETECTOR_FEEDBACK_REFRESH: '100ms',
    }).finally(() => rm(lists, { recursive: true, force: true }));
    try {
      await poll(
        () => eventsSeen(worker),
        (n) => n >= events.length,
        300_000,
        250,
      );
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      await worker.close();
      await reader.close();
    }
  } finally {
    await dispose();
  }
  const results = score(scenarios, alerts);
  const report: EvaluationReport = {
    results,
    byType: summarise(results),
    benignFalseAlerts: results.filter((r) => r.label === 'benign').reduce((n, r) => n + r.falseAlerts.length, 0),
    events: events.length,
    wallMs: Date.now() - started,
  };
  for (const r of results) {
    const verdict =
      r.label === 'attack' ? (r.caught ? 'caught' : 'MISSED') : r.falseAlerts.length === 0 ? 'quiet' : 'FALSE ALERT';
    print(
      `${verdict.padEnd(11)} ${r.label.padEnd(6)} ${r.name}${r.timeToDetectMs !== null ? ` (detected after ${Math.round(r.timeToDetectMs / 1000)} s of event time)` : ''}${r.falseAlerts.length ? ` — unexpected: ${r.falseAlerts.map((f) => `${f.type}/${f.severity}`).join(', ')}` : ''}${r.tolerated.length ? ` (tolerated: ${r.tolerated.map((f) => `${f.type}/${f.severity}`).join(', ')})` : ''}`,
    );
  }
  print('');
  print('type                     attacks  caught  recall  false alerts  median time-to-detect');
  for (const t of report.byType)
    print(
      `${t.type.padEnd(24)} ${String(t.attacks).padStart(7)} ${String(t.caught).padStart(7)} ${`${Math.round(t.recall * 100)}%`.padStart(7)} ${String(t.falseAlerts).padStart(13)}  ${t.medianTimeToDetectS === null ? '-' : `${t.medianTimeToDetectS} s`}`,
    );
  print(
    `benign scenarios: ${results.filter((r) => r.label === 'benign').length}, false alerts on them: ${report.benignFalseAlerts}; ${events.length} events in ${(report.wallMs / 1000).toFixed(1)} s`,
  );
  return report;
}
