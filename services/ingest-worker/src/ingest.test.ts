import { exampleAuthEvent, type AuthEvent } from '@keywatch/contracts';
import { DLQ_HEADERS, InMemoryProducer, type ConsumedBatch } from '@keywatch/kafka';
import { createLogger } from '@keywatch/logger';
import { describe, expect, it } from 'vitest';
import type { EventStore } from './dedup.js';
import { createEnricher } from './enrich.js';
import { createIngestHandler, prepareMessages } from './ingest.js';
import { toRow, type EncodedRow, type EnrichedRow } from './rows.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const dlqTopic = 'staging.auth-events-dlq';

const enricher = createEnricher(
  () => ({ country: 'NL', region: 'NH', city: 'Amsterdam', lat: 52.4, lon: 4.9, radiusKm: 20 }),
  10,
);
const enriched = (e: AuthEvent): EnrichedRow => ({
  ...toRow(e),
  country: 'NL',
  region: 'NH',
  city: 'Amsterdam',
  lat: 52.4,
  lon: 4.9,
  area: 20,
  ua_class: 'sdk',
});

/** Keeps every insert and knows what it stored; `failWith` makes the next inserts reject, as an unreachable ClickHouse would. */
class InMemorySink implements EventStore {
  readonly inserts: Array<{ rows: readonly EnrichedRow[] }> = [];
  readonly stored = new Set<string>();
  failWith: Error | undefined;

  async existing(ids: readonly string[]): Promise<Set<string>> {
    return new Set(ids.filter((id) => this.stored.has(id)));
  }

  async insert(encoded: readonly EncodedRow[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    const rows = encoded.map((r) => JSON.parse(Buffer.from(r.bytes).toString('utf8')) as EnrichedRow);
    this.inserts.push({ rows });
    for (const row of rows) this.stored.add(row.event_id);
  }
}

function batchOf(values: Array<string | null>): ConsumedBatch {
  return {
    topic: 'staging.auth-events',
    partition: 2,
    heartbeat: async () => {},
    messages: values.map((value, i) => ({
      topic: 'staging.auth-events',
      partition: 2,
      offset: String(100 + i),
      key: Buffer.from(`key-${i}`),
      value: value === null ? null : Buffer.from(value),
      headers: { 'x-origin': `case-${i}` },
    })),
  };
}

function setup() {
  const sink = new InMemorySink();
  const producer = new InMemoryProducer();
  const handler = createIngestHandler({ store: sink, producer, dlqTopic, logger, enricher });
  return { sink, producer, handler, deadLetters: () => producer.sent.get(dlqTopic) ?? [] };
}

const header = (headers: Record<string, unknown> | undefined, name: string) => String(headers?.[name]);

describe('createIngestHandler', () => {
  it('puts the valid events of a batch in one insert and the invalid ones in the dead-letter topic with their reasons', async () => {
    const { sink, handler, deadLetters } = setup();
    const valid = [
      exampleAuthEvent(),
      exampleAuthEvent({ outcome: 'unknown_key', key_id: null }),
      exampleAuthEvent({ tenant_id: 'tenant_b' }),
    ];
    const invalid = ['{not json', JSON.stringify({ ...exampleAuthEvent(), ts: 'yesterday' }), null];
    const values = [
      JSON.stringify(valid[0]),
      invalid[0]!,
      JSON.stringify(valid[1]),
      invalid[1]!,
      JSON.stringify(valid[2]),
      invalid[2]!,
    ];

    await handler(batchOf(values));

    expect(sink.inserts).toEqual([{ rows: valid.map(enriched) }]);
    const letters = deadLetters();
    expect(letters.map((m) => m.key?.toString())).toEqual(['key-1', 'key-3', 'key-5']);
    expect(letters.map((m) => m.value.toString())).toEqual(['{not json', invalid[1], '']); // original bytes
    expect(header(letters[0]?.headers, DLQ_HEADERS.reason)).toMatch(/^invalid JSON/);
    expect(header(letters[1]?.headers, DLQ_HEADERS.reason)).toMatch(/^ts: /);
    expect(header(letters[2]?.headers, DLQ_HEADERS.reason)).toBe('empty message');
    expect(letters.map((m) => header(m.headers, DLQ_HEADERS.offset))).toEqual(['101', '103', '105']);
    expect(letters.map((m) => header(m.headers, DLQ_HEADERS.topic))).toEqual(Array(3).fill('staging.auth-events'));
    expect(letters.map((m) => header(m.headers, 'x-origin'))).toEqual(['case-1', 'case-3', 'case-5']);
  });

  it('sends nothing to the dead-letter topic when every event is valid', async () => {
    const { sink, handler, deadLetters } = setup();
    await handler(batchOf([JSON.stringify(exampleAuthEvent()), JSON.stringify(exampleAuthEvent())]));
    expect(sink.inserts).toHaveLength(1);
    expect(sink.inserts[0]?.rows).toHaveLength(2);
    expect(deadLetters()).toEqual([]);
  });

  it('makes no insert when every event is invalid', async () => {
    const { sink, handler, deadLetters } = setup();
    await handler(batchOf(['[]', '{}']));
    expect(sink.inserts).toEqual([]);
    expect(deadLetters()).toHaveLength(2);
  });

  it('inserts an event once however often it is delivered, in one batch or across batches', async () => {
    const { sink, handler } = setup();
    const event = JSON.stringify(exampleAuthEvent());
    const other = JSON.stringify(exampleAuthEvent());
    await handler(batchOf([event, event, other]));
    await handler(batchOf([other, event]));
    expect(
      sink.inserts
        .flatMap((i) => i.rows)
        .map((r) => r.event_id)
        .sort(),
    ).toEqual(
      [
        (JSON.parse(event) as { event_id: string }).event_id,
        (JSON.parse(other) as { event_id: string }).event_id,
      ].sort(),
    );
  });

  it('dead-letters events older than the raw retention instead of ingesting them', () => {
    const now = Date.parse('2025-03-01T00:00:00.000Z');
    const old = exampleAuthEvent({ ts: '2025-01-15T00:00:00.000Z' });
    const recent = exampleAuthEvent({ ts: '2025-02-20T00:00:00.000Z' });
    const prepared = prepareMessages(batchOf([JSON.stringify(old), JSON.stringify(recent)]), {
      enricher,
      rawRetentionDays: 30,
      now: () => now,
    });
    expect(prepared.rows.map((r) => r.event_id)).toEqual([recent.event_id]);
    expect(prepared.kinds).toEqual(['too_old']);
    expect(header(prepared.deadLetters[0]?.headers, DLQ_HEADERS.reason)).toMatch(
      /^ts: older than the raw-event retention \(30 days\)/,
    );
  });

  it('dead-letters events too far ahead of the clock and rate limits the columns cannot hold', () => {
    const now = Date.parse('2025-03-01T00:00:00.000Z');
    const ahead = exampleAuthEvent({ ts: '2200-01-01T00:00:00.000Z' });
    const huge = exampleAuthEvent({
      ts: '2025-02-28T00:00:00.000Z',
      rate_limit: { limit: 5_000_000_000, remaining: 0, window_s: 60 },
    });
    const fine = exampleAuthEvent({ ts: '2025-03-01T00:30:00.000Z' });
    const batch = batchOf([ahead, huge, fine].map((e) => JSON.stringify(e)));
    const prepared = prepareMessages(batch, { enricher, now: () => now, maxFutureMs: 3_600_000 });
    expect(prepared.rows.map((r) => r.event_id)).toEqual([fine.event_id]);
    expect(prepared.origins.map((i) => batch.messages[i]?.offset)).toEqual(['102']);
    expect(prepared.kinds).toEqual(['too_new', 'unstorable']);
    expect(header(prepared.deadLetters[0]?.headers, DLQ_HEADERS.reason)).toBe(
      "ts: more than 60 minutes ahead of the ingest worker's clock; not ingested",
    );
    expect(header(prepared.deadLetters[1]?.headers, DLQ_HEADERS.reason)).toMatch(
      /^rate_limit: values above 4294967295/,
    );
  });

  it('in RowBinary, dead-letters a string the columns cannot hold exactly, naming its field, and encodes the rest', () => {
    const now = Date.parse('2025-03-01T00:00:00.000Z');
    const lone = exampleAuthEvent({ ts: '2025-02-28T00:00:00.000Z', user_agent: 'agent \ud800 x' });
    const fine = exampleAuthEvent({ ts: '2025-02-28T00:00:01.250Z', user_agent: 'agent 😀 x' });
    const batch = batchOf([lone, fine].map((e) => JSON.stringify(e)));
    const prepared = prepareMessages(batch, { enricher, now: () => now, format: 'RowBinary' });
    expect(prepared.rows.map((r) => r.event_id)).toEqual([fine.event_id]);
    expect(prepared.origins).toEqual([1]);
    expect(prepared.kinds).toEqual(['unstorable']);
    expect(header(prepared.deadLetters[0]?.headers, DLQ_HEADERS.reason)).toBe(
      'user_agent: a lone UTF-16 surrogate cannot be stored as UTF-8; not ingested',
    );
    // RowBinary: v (UInt8 1), then event_id with its one-byte length.
    const bytes = Buffer.from(prepared.rows[0]!.bytes);
    expect(bytes[0]).toBe(1);
    expect(bytes.subarray(2, 2 + bytes[1]!).toString()).toBe(fine.event_id);
  });

  it('dead-letters the rows ClickHouse refuses with its reason and inserts the rest', async () => {
    const { sink, producer, deadLetters } = setup();
    const poisoned = exampleAuthEvent({ user_agent: 'bad \ud800' });
    const good = [exampleAuthEvent(), exampleAuthEvent()];
    const refusing: EventStore = {
      existing: (ids) => sink.existing(ids),
      insert: async (rows) => {
        if (rows.some((r) => r.event_id === poisoned.event_id))
          throw Object.assign(new Error('ClickHouse insert failed: Cannot parse escape sequence (code 25)'), {
            serverCode: 25,
          });
        await sink.insert(rows);
      },
    };
    const handler = createIngestHandler({ store: refusing, producer, dlqTopic, logger, enricher });
    await handler(batchOf([JSON.stringify(good[0]), JSON.stringify(poisoned), JSON.stringify(good[1])]));
    expect(sink.inserts.flatMap((i) => i.rows).map((r) => r.event_id)).toEqual(good.map((e) => e.event_id));
    expect(deadLetters().map((m) => header(m.headers, DLQ_HEADERS.offset))).toEqual(['101']);
    expect(header(deadLetters()[0]?.headers, DLQ_HEADERS.reason)).toBe(
      'ClickHouse refused the row: Cannot parse escape sequence (code 25)',
    );
  });

  it('rejects when the insert rejects, so the runner does not commit the batch', async () => {
    const { sink, handler } = setup();
    sink.failWith = new Error('ClickHouse unreachable');
    await expect(handler(batchOf([JSON.stringify(exampleAuthEvent()), '{not json']))).rejects.toThrow(
      'ClickHouse unreachable',
    );
  });

  it('rejects when the dead-letter send rejects, so the runner does not commit the batch', async () => {
    const sink = new InMemorySink();
    const producer = new InMemoryProducer();
    producer.send = async () => {
      throw new Error('Kafka unreachable');
    };
    const handler = createIngestHandler({ store: sink, producer, dlqTopic, logger, enricher });
    await expect(handler(batchOf([JSON.stringify(exampleAuthEvent()), '{not json']))).rejects.toThrow(
      'Kafka unreachable',
    );
  });
});

describe('toRow', () => {
  const event: AuthEvent = exampleAuthEvent({ ts: '2025-01-31T23:59:58.047Z' });

  it('splits ts into a DateTime in UTC and its milliseconds', () => {
    expect(toRow(event)).toMatchObject({ ts: '2025-01-31 23:59:58', ts_ms: 47 });
    expect(toRow({ ...event, ts: '2025-02-01T00:00:00.000Z' })).toMatchObject({ ts: '2025-02-01 00:00:00', ts_ms: 0 });
    expect(toRow({ ...event, ts: '2025-02-01T00:00:00.999Z' })).toMatchObject({ ts_ms: 999 });
  });

  it('turns absent strings into empty strings', () => {
    const anonymous: AuthEvent = {
      ...event,
      outcome: 'missing_key',
      tenant_id: null,
      key_id: null,
      key_type: null,
      environment: null,
      key_fingerprint: null,
      scope: null,
      user_agent: null,
      origin: null,
      rate_limit: null,
    };
    expect(toRow(anonymous)).toMatchObject({
      tenant_id: '',
      key_id: '',
      key_type: '',
      environment: '',
      key_fingerprint: '',
      scope: '',
      user_agent: '',
      origin: '',
    });
  });

  it('flattens the rate limit into three columns, null when there is none', () => {
    expect(toRow({ ...event, rate_limit: { limit: 100, remaining: 0, window_s: 60 } })).toMatchObject({
      rate_limit_limit: 100,
      rate_limit_remaining: 0,
      rate_limit_window_s: 60,
    });
    expect(toRow({ ...event, rate_limit: null })).toMatchObject({
      rate_limit_limit: null,
      rate_limit_remaining: null,
      rate_limit_window_s: null,
    });
  });

  it('copies every other field as it is', () => {
    expect(toRow(event)).toEqual({
      v: 1,
      event_id: event.event_id,
      ts: '2025-01-31 23:59:58',
      ts_ms: 47,
      gateway_id: 'gw-example',
      request_id: event.request_id,
      tenant_id: 'tenant_dev_abc123',
      key_id: 'key_example000000000000000000',
      key_type: 'secret',
      environment: 'dev',
      key_fingerprint: '0123456789abcdef',
      outcome: 'allowed',
      scope: 'subscriptions:read',
      method: 'GET',
      route: '/v1/subscriptions',
      status: 200,
      latency_ms: 12.5,
      ip: '203.0.113.7',
      user_agent: 'keywatch-example/1.0',
      origin: '',
      rate_limit_limit: 100,
      rate_limit_remaining: 99,
      rate_limit_window_s: 60,
    });
  });
});
