import { newEventId, type Alert, type AuthEvent } from '@keywatch/contracts';
import { createProducer, eventsSeen, ephemeralTarget, poll, produceEvents, startWorkerOn, tail, type Engines } from './stack.js';
import { IPS, eventAt, fingerprint } from './testing.js';

export interface BenchReport {
  /** Events/s one worker drained from a backlog (state, alerts and commits included). */
  drainEventsPerSecond: number;
  backlog: number;
  /** Produce→alert latency at the offered rate, from alerts raised by attack events mixed into the traffic. */
  latency: { rate: number; achievedRate: number; seconds: number; samples: number; p50Ms: number; p99Ms: number; maxMs: number };
}

const ips = [IPS.berlin, IPS.amsterdam, IPS.london, IPS.parkForest, IPS.singapore, IPS.zurich];

/** Ordinary traffic: 2 000 keys of 200 tenants, mostly allowed, some 403s and 429s. */
function ordinary(at: number, i: number): AuthEvent {
  const k = i % 2000;
  const r = i % 100;
  return eventAt(at, {
    key_id: `key_bench${String(k).padStart(15, '0')}`,
    tenant_id: `tenant_bench${k % 200}`,
    key_fingerprint: fingerprint(k),
    ip: ips[k % ips.length],
    outcome: r < 2 ? 'insufficient_scope' : r < 3 ? 'rate_limited' : 'allowed',
  });
}

/** An attack event: a secret key from a browser (raises at once) or a stuffing attempt. */
function attack(at: number, i: number): AuthEvent {
  return i % 2 === 0
    ? eventAt(at, { key_id: `key_leak${newEventId().slice(-16)}`, tenant_id: 'tenant_bench_leaks', key_type: 'secret', origin: 'https://evil.example' })
    : eventAt(at, { key_id: null, tenant_id: null, ip: IPS.saoPaulo, outcome: 'unknown_key', key_fingerprint: fingerprint(1_000_000 + i) });
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

/**
 * `keywatch bench detect`: (1) drains a backlog of `backlog` events with one worker and reports
 * events/s; (2) offers live traffic at `rate` events/s for `seconds` with attacks mixed in (10 a
 * second) and reports produce→alert latency p50/p99 over the alerts they raise. Throwaway topics,
 * database and Redis prefix on the given engines.
 */
export async function runDetectBench(engines: Engines, options: { backlog?: number; rate?: number; seconds?: number; print?: (line: string) => void } = {}): Promise<BenchReport> {
  const print = options.print ?? (() => undefined);
  const backlog = options.backlog ?? 100_000;
  const rate = options.rate ?? 10_000;
  const seconds = options.seconds ?? 20;
  const { target, dispose } = await ephemeralTarget(engines);
  try {
    const producer = await createProducer(target.kafka);
    const topic = `${target.topicPrefix}auth-events`;
    // Phase 1: backlog drain.
    const base = Date.now() - 2 * 3_600_000;
    const events = Array.from({ length: backlog }, (_, i) => ordinary(base + Math.floor((i * 3_600_000) / backlog), i));
    print(`producing a backlog of ${backlog} events`);
    await produceEvents(producer, topic, events);
    const worker = await startWorkerOn(target);
    const t0 = Date.now();
    await poll(() => eventsSeen(worker), (n) => n >= backlog, 600_000, 200);
    const drainEventsPerSecond = Math.round(backlog / ((Date.now() - t0) / 1000));
    print(`drained ${backlog} events in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${drainEventsPerSecond} events/s`);

    // Phase 2: live traffic at `rate`, attacks mixed in; latency = alert arrival - the raising event's produce time (its ts).
    const latencies: number[] = [];
    const reader = await tail<Alert>(target, `${target.topicPrefix}security-alerts`, (alert, receivedAt) => {
      const raisedBy = Date.parse(String(alert.evidence.first_seen));
      if (Date.parse(alert.detected_at) > t0 && Number.isFinite(raisedBy) && raisedBy > t0) latencies.push(receivedAt - raisedBy);
    });
    const tickMs = 50;
    const perTick = Math.round((rate * tickMs) / 1000);
    const started = Date.now();
    let sent = 0;
    let attacks = 0;
    while (Date.now() - started < seconds * 1000) {
      const tickStart = Date.now();
      const batch: AuthEvent[] = [];
      for (let i = 0; i < perTick; i += 1) batch.push(ordinary(Date.now(), backlog + sent + i));
      if (Math.floor((tickStart - started) / 100) !== Math.floor((tickStart - started - tickMs) / 100)) batch.push(attack(Date.now(), attacks++));
      await produceEvents(producer, topic, batch, 1000);
      sent += batch.length;
      const wait = tickMs - (Date.now() - tickStart);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const achievedRate = Math.round(sent / ((Date.now() - started) / 1000));
    await poll(() => eventsSeen(worker), (n) => n >= backlog + sent, 120_000, 200);
    await new Promise((r) => setTimeout(r, 1000));
    await reader.close();
    await worker.close();
    await producer.close();
    const sorted = [...latencies].sort((a, b) => a - b);
    const latency = { rate, achievedRate, seconds, samples: sorted.length, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), maxMs: sorted[sorted.length - 1] ?? 0 };
    print(`offered ${rate} events/s for ${seconds} s (achieved ${achievedRate}/s, ${attacks} attack events): produce→alert p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms, max ${latency.maxMs} ms over ${latency.samples} alerts`);
    return { drainEventsPerSecond, backlog, latency };
  } finally {
    await dispose();
  }
}
