import { DAY } from '../params.js';
import { asArray, asNumber, type Plan, type Results } from '../state/ops.js';
import { ttlFor } from './types.js';

/** How long after its last success from an IP a key is remembered as working from that IP. */
export const KEY_IP_MEMORY_MS = 7 * DAY;

/** One secret key's first success from one IP (a one-field hash on the IP's shard). */
const keyIpKey = (ip: string, keyId: string) => `h:ipk:${ip}|${keyId}`;

/**
 * Where a key has worked from: the first successful use of a secret key (or of a key of unknown
 * type) from an IP, kept while the key keeps working from it and `KEY_IP_MEMORY_MS` after.
 * Publishable keys are not recorded (they work from every browser of their users: unbounded, and
 * nothing is learnt from it). Written once (HSETNX); returns the reader of the first time (0: the
 * key has not worked from this IP).
 */
export function recordKeyIp(plan: Plan, ip: string, keyId: string, ts: number): (results: Results) => number {
  const k = plan.key(keyIpKey(ip, keyId), ip);
  plan.add({ o: 'hsetnx', k, f: 'f', v: String(ts), t: ttlFor(KEY_IP_MEMORY_MS) });
  return readKeyIpAt(plan, k);
}

/** The first time the key worked from this IP (0: never, as far as remembered). */
export function readKeyIp(plan: Plan, ip: string, keyId: string): (results: Results) => number {
  return readKeyIpAt(plan, plan.key(keyIpKey(ip, keyId), ip));
}

function readKeyIpAt(plan: Plan, k: number): (results: Results) => number {
  const at = plan.add({ o: 'hmget', k, f: ['f'] });
  return (results) => asNumber(asArray(results[at])[0]);
}
