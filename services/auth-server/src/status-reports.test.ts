import { createSocket } from 'node:dgram';
import type { AuthEvent } from '@keywatch/contracts';
import { createLogger } from '@keywatch/logger';
import { describe, expect, test } from 'vitest';
import { createHeldEvents, listenForStatusReports, parseStatusReport } from './status-reports.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const event = (requestId: string): AuthEvent => ({
  v: 1,
  event_id: '0193a6f0-0000-7000-8000-000000000000',
  ts: '2026-12-07T22:00:00.000Z',
  gateway_id: 'nginx-edge',
  request_id: requestId,
  tenant_id: 't',
  key_id: 'k',
  key_type: 'secret',
  environment: 'live',
  key_fingerprint: 'fp',
  outcome: 'allowed',
  scope: 'customers:read',
  method: 'GET',
  route: '/v1/customers/:id',
  status: 200,
  latency_ms: 0.5,
  ip: '203.0.113.9',
  user_agent: null,
  origin: null,
  rate_limit: null,
});

describe('status reports from the proxy', () => {
  test("nginx's syslog line gives the request id, the client's status and the upstream time (summed over retries)", () => {
    expect(parseStatusReport('<190>Dec  7 22:10:00 keywatch: req_abc-1 404 0.012')).toEqual({
      requestId: 'req_abc-1',
      status: 404,
      upstreamSeconds: 0.012,
    });
    expect(
      parseStatusReport('<190>Dec  7 22:10:00 keywatch: req_1 502 0.001, 0.002 : 0.004')?.upstreamSeconds,
    ).toBeCloseTo(0.007, 9);
    expect(parseStatusReport('<190>Dec  7 22:10:00 keywatch: req_1 200 -')?.upstreamSeconds).toBeNull();
    expect(parseStatusReport('<190>Dec  7 22:10:00 keywatch: req_1 999 0.1')).toBeNull();
    expect(parseStatusReport('<190>Dec  7 22:10:00 other: req_1 200 0.1')).toBeNull();
    expect(parseStatusReport('keywatch: req 1 200 0.1')).toBeNull();
  });

  test('a held event goes out once, with the reported status and the upstream time added; unknown ids are ignored', async () => {
    const sent: AuthEvent[] = [];
    const held = createHeldEvents({ emit: (e) => sent.push(e), waitMs: 60_000, max: 10, logger });
    held.hold(event('req_1'));
    expect(sent).toEqual([]);
    expect(held.report('req_2', 500, 0.01)).toBe(false);
    expect(held.report('req_1', 404, 0.0125)).toBe(true);
    expect(held.report('req_1', 200, 0.01)).toBe(false);
    expect(sent).toEqual([{ ...event('req_1'), status: 404, latency_ms: 13 }]);
    await held.close();
  });

  test('without a report an event goes out with 200 after the wait, on overflow (the oldest) and on close', async () => {
    const sent: AuthEvent[] = [];
    let unreported = 0;
    const held = createHeldEvents({
      emit: (e) => sent.push(e),
      waitMs: 100,
      max: 2,
      logger,
      onUnreported: (n) => (unreported += n),
    });
    held.hold(event('a'));
    held.hold(event('b'));
    held.hold(event('c'));
    expect(sent.map((e) => [e.request_id, e.status])).toEqual([['a', 200]]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sent.map((e) => e.request_id)).toEqual(['a', 'b', 'c']);
    held.hold(event('d'));
    await held.close();
    expect(sent.map((e) => e.request_id)).toEqual(['a', 'b', 'c', 'd']);
    expect(unreported).toBe(4);
    expect(held.size).toBe(0);
  });

  test('reports arrive over UDP, and only from trusted addresses', async () => {
    const sent: AuthEvent[] = [];
    const held = createHeldEvents({ emit: (e) => sent.push(e), waitMs: 60_000, max: 10, logger });
    const send = async (line: string, from: string) => {
      const socket = createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, from, () => resolve()));
      await new Promise<void>((resolve, reject) =>
        socket.send(line, listener.port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
      );
      socket.close();
    };
    const listener = await listenForStatusReports({
      host: '127.0.0.1',
      port: 0,
      trusted: ['127.0.0.1/32'],
      held,
      logger,
    });
    try {
      held.hold(event('req_u1'));
      held.hold(event('req_u2'));
      await send('<190>Dec  7 22:10:00 keywatch: req_u2 503 0.001', '127.0.0.2');
      await send('<190>Dec  7 22:10:00 keywatch: req_u1 201 0.001', '127.0.0.1');
      for (let i = 0; i < 100 && sent.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(sent.map((e) => [e.request_id, e.status])).toEqual([['req_u1', 201]]);
      expect(held.size).toBe(1);
    } finally {
      await listener.close();
      await held.close();
    }
  });
});
