import { newEventId, type AuthEvent } from '@keywatch/contracts';
import { IPS, eventAt, fingerprint } from '@keywatch/detector-worker/testing';

const ips = [IPS.berlin, IPS.amsterdam, IPS.london, IPS.parkForest, IPS.singapore, IPS.zurich];

/** Ordinary traffic: 2 000 keys of 200 tenants, mostly allowed, some 403s and 429s. */
export function ordinaryEvent(at: number, i: number): AuthEvent {
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
export function attackEvent(at: number, i: number): AuthEvent {
  return i % 2 === 0
    ? eventAt(at, {
        key_id: `key_leak${newEventId().slice(-16)}`,
        tenant_id: 'tenant_bench_leaks',
        key_type: 'secret',
        origin: 'https://evil.example',
      })
    : eventAt(at, {
        key_id: null,
        tenant_id: null,
        ip: IPS.saoPaulo,
        outcome: 'unknown_key',
        key_fingerprint: fingerprint(1_000_000 + i),
      });
}
