import { createLogger } from '@keywatch/logger';
import type { Alert } from '@keywatch/contracts';
import type { OutgoingMessage } from '@keywatch/kafka';
import { describe, expect, test } from 'vitest';
import type { AlertRow } from './alert-rows.js';
import { createEngine, type BatchOutcome, type DetectorEngine } from './engine.js';
import { createGeoLookup } from './geo.js';
import { createDetectorHandler, type AlertSink } from './handler.js';
import { createDetectorMetrics } from './metrics.js';
import { createParamsResolver } from './params.js';
import { MemoryStore } from './state/memory-store.js';
import { eventAt } from './testing.js';

const topics = { securityAlerts: 'security-alerts', keyRevocationTriggers: 'key-revocation-triggers' };

/** A handler over the in-memory store whose ClickHouse refuses the first `failures` writes. */
function handlerWithFlakySink(failures: number, closing = () => false, sendFails = false) {
  const store = new MemoryStore();
  const engine = createEngine({ store, params: createParamsResolver({}), geo: createGeoLookup() });
  const written: AlertRow[][] = [];
  let attempts = 0;
  const sink: AlertSink = {
    async insert(_table, rows) {
      attempts += 1;
      if (attempts <= failures) throw new Error('ClickHouse insert failed: connect ECONNREFUSED');
      written.push([...rows]);
    },
  };
  const sent: string[] = [];
  const producer = {
    send: async (topic: string) => {
      if (sendFails) throw new Error('Kafka send failed');
      sent.push(topic);
    },
    close: async () => undefined,
  };
  const handler = createDetectorHandler({
    engine,
    store,
    producer,
    sink,
    topics,
    metrics: createDetectorMetrics(),
    logger: createLogger({ name: 'test', level: 'silent' }),
    retry: { minDelayMs: 1, maxDelayMs: 4 },
    closing,
  });
  return { handler, written, sent, attempts: () => attempts };
}

/** A batch with one secret key used from a browser: one alert, one alert row. */
function batchWithAnAlert(heartbeats: { n: number }) {
  const event = eventAt(Date.parse('2026-03-09T10:00:00Z'), {
    key_id: 'key_handlertest00000000000',
    tenant_id: 'tenant_h',
    key_type: 'secret',
    origin: 'https://shop.example',
  });
  return {
    topic: 'auth-events',
    partition: 0,
    messages: [
      {
        topic: 'auth-events',
        partition: 0,
        offset: '0',
        key: null,
        value: Buffer.from(JSON.stringify(event)),
        headers: {},
      },
    ],
    heartbeat: async () => {
      heartbeats.n += 1;
    },
  };
}

describe('detector handler while ClickHouse is away', () => {
  test('retries the alert rows in place, heartbeating between attempts, and completes the batch once they are written', async () => {
    const { handler, written, attempts } = handlerWithFlakySink(3);
    const heartbeats = { n: 0 };
    await handler(batchWithAnAlert(heartbeats));
    expect(attempts()).toBe(4);
    expect(heartbeats.n).toBe(3);
    expect(written).toHaveLength(1);
    expect(written[0]?.map((r) => r.type)).toEqual(['secret_key_client_side']);
  });

  test('heartbeats while a write hangs (a dead connection until the client times out)', async () => {
    const store = new MemoryStore();
    const heartbeats = { n: 0 };
    const handler = createDetectorHandler({
      engine: createEngine({ store, params: createParamsResolver({}), geo: createGeoLookup() }),
      store,
      producer: { send: async () => undefined, close: async () => undefined },
      sink: { insert: () => new Promise((resolve) => setTimeout(resolve, 120)) },
      topics,
      metrics: createDetectorMetrics(),
      logger: createLogger({ name: 'test', level: 'silent' }),
      retry: { minDelayMs: 1, maxDelayMs: 4, heartbeatEveryMs: 20 },
    });
    await handler(batchWithAnAlert(heartbeats));
    expect(heartbeats.n).toBeGreaterThanOrEqual(3);
  });

  test('a heartbeat refused (the group is rebalancing) ends the batch with that error, for redelivery', async () => {
    const { handler, written } = handlerWithFlakySink(10);
    const batch = batchWithAnAlert({ n: 0 });
    await expect(
      handler({
        ...batch,
        heartbeat: () => Promise.reject(new Error('The group is rebalancing, so a rejoin is needed')),
      }),
    ).rejects.toThrow(/rebalancing/);
    expect(written).toHaveLength(0);
  });

  test('when the alerts cannot be sent either, the batch fails and its row writes stop retrying', async () => {
    const { handler, attempts } = handlerWithFlakySink(1_000, () => false, true);
    const heartbeats = { n: 0 };
    await expect(handler(batchWithAnAlert(heartbeats))).rejects.toThrow(/Kafka send failed/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(attempts()).toBeLessThanOrEqual(2);
    expect(heartbeats.n).toBe(0);
  });

  test('while the worker closes, a failed write fails the batch instead of waiting for ClickHouse', async () => {
    const { handler, attempts } = handlerWithFlakySink(10, () => true);
    await expect(handler(batchWithAnAlert({ n: 0 }))).rejects.toThrow(/ECONNREFUSED/);
    expect(attempts()).toBe(1);
  });
});

describe('detector handler publishing', () => {
  test('a version of an alert below a severity this process already sent is stale and not sent', async () => {
    // A real alert (secret key from a browser, high), then versions of it as two batches could finish.
    const real: Alert[] = [];
    const capture = createDetectorHandler({
      engine: createEngine({ store: new MemoryStore(), params: createParamsResolver({}), geo: createGeoLookup() }),
      store: new MemoryStore(),
      producer: {
        send: async (topic: string, messages: OutgoingMessage[]) => {
          if (topic === topics.securityAlerts) real.push(...messages.map((m) => JSON.parse(String(m.value)) as Alert));
        },
        close: async () => undefined,
      },
      sink: { insert: async () => undefined },
      topics,
      metrics: createDetectorMetrics(),
      logger: createLogger({ name: 'test', level: 'silent' }),
    });
    await capture(batchWithAnAlert({ n: 0 }));
    const high = real[0] as Alert;
    expect(high.severity).toBe('high');
    const medium: Alert = { ...high, severity: 'medium' };
    const critical: Alert = { ...high, severity: 'critical' };
    const outcomes = [[high], [medium], [critical]];
    const outcome = (publish: Alert[]): BatchOutcome => ({
      publish,
      triggers: [],
      touched: [],
      published: [],
      watermark: 0,
      stats: { processed: 1, duplicates: 0, late: 0, signals: 1, suppressed: 0 },
      timings: { plan: 0, state: 0, dedup: 0 },
    });
    const engine = {
      processBatch: async () => outcome(outcomes.shift() ?? []),
      latenessMs: 60_000,
    } as unknown as DetectorEngine;
    const sentAlerts: string[] = [];
    const producer = {
      send: async (topic: string, messages: OutgoingMessage[]) => {
        if (topic === topics.securityAlerts)
          for (const m of messages) sentAlerts.push((JSON.parse(String(m.value)) as Alert).severity);
      },
      close: async () => undefined,
    };
    const handler = createDetectorHandler({
      engine,
      store: new MemoryStore(),
      producer,
      sink: { insert: async () => undefined },
      topics,
      metrics: createDetectorMetrics(),
      logger: createLogger({ name: 'test', level: 'silent' }),
    });
    for (let i = 0; i < 3; i += 1) await handler(batchWithAnAlert({ n: 0 }));
    expect(sentAlerts).toEqual(['high', 'critical']);

    // Two batches at once: the first's send is slow, the second's fast. The versions reach the
    // topic in the order they passed the check (medium, then high), never high then medium.
    const versions = [[medium], [{ ...high, alert_id: `${high.alert_id}x` }]];
    const landed: string[] = [];
    let calls = 0;
    const slowFirst = {
      send: async (topic: string, messages: OutgoingMessage[]) => {
        if (topic !== topics.securityAlerts || messages.length === 0) return;
        const delay = calls++ === 0 ? 50 : 0;
        await new Promise((resolve) => setTimeout(resolve, delay));
        for (const m of messages) landed.push((JSON.parse(String(m.value)) as Alert).severity);
      },
      close: async () => undefined,
    };
    const concurrentEngine = {
      processBatch: async () => outcome(versions.shift() ?? []),
      latenessMs: 60_000,
    } as unknown as DetectorEngine;
    const concurrent = createDetectorHandler({
      engine: concurrentEngine,
      store: new MemoryStore(),
      producer: slowFirst,
      sink: { insert: async () => undefined },
      topics,
      metrics: createDetectorMetrics(),
      logger: createLogger({ name: 'test', level: 'silent' }),
    });
    await Promise.all([concurrent(batchWithAnAlert({ n: 0 })), concurrent(batchWithAnAlert({ n: 0 }))]);
    expect(landed).toEqual(['medium', 'high']);
  });
});
