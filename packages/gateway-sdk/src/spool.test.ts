import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAuthEventEmitter } from '@keywatch/auth-emitter';
import { exampleAuthEvent } from '@keywatch/contracts';
import type { EventProducer } from '@keywatch/kafka';
import { createLogger } from '@keywatch/logger';
import { describe, expect, it } from 'vitest';
import { createDiskSpool } from './spool.js';

const logger = createLogger({ name: 'spool-test', level: 'silent' });

describe('disk spool', () => {
  it('takes the events a full buffer would drop, as JSON lines, up to its size budget', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'kw-spool-')), 'nested', 'auth-events.ndjson');
    const spool = createDiskSpool({ file, logger, maxBytes: 4096 });
    // Kafka is down: every send fails, so the buffer of 2 fills and the rest overflows.
    const producer: EventProducer = {
      send: () => Promise.reject(new Error('kafka down')),
      close: async () => undefined,
    };
    const emitter = createAuthEventEmitter({
      producer,
      topic: 't',
      logger,
      maxBuffer: 2,
      overflow: (events) => spool.overflow(events),
      closeTimeoutMs: 50,
    });
    const events = Array.from({ length: 30 }, (_, i) => ({ ...exampleAuthEvent(), request_id: `req_${i}` }));
    for (const event of events) emitter.emit(event);
    await emitter.close();
    await spool.close();
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const stats = emitter.stats();
    expect(stats.overflowed).toBe(lines.length);
    expect(stats.overflowed + stats.dropped).toBe(30);
    // 4 KiB holds only some of the events: the rest are dropped and counted, never lost silently.
    expect(stats.dropped).toBeGreaterThan(0);
    expect(JSON.parse(lines[0]!)).toMatchObject({ v: 1, request_id: expect.stringMatching(/^req_/) });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(() => spool.overflow([events[0]!])).toThrow(/closed/);
  });
});
