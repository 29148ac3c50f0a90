import { DAY } from '../params.js';
import type { Plan, Results } from '../state/ops.js';
import { ttlFor, type FirstSeenBatch } from './types.js';

/** How long after its last success from an IP a key is remembered as working from that IP. */
export const KEY_IP_MEMORY_MS = 7 * DAY;

/** One secret key's first success from one IP (a one-field hash on the IP's shard). */
const keyIpKey = (ip: string, keyId: string) => `h:ipk:${ip}|${keyId}`;

/**
 * Where a key has worked from: the first successful use of a secret key (or of a key of unknown
 * type) from an IP, kept while the key keeps working from it and `KEY_IP_MEMORY_MS` after.
 * Publishable keys are not recorded (they work from every browser of their users: unbounded, and
 * nothing is learnt from it). Written once (HSETNX, remembered by the process: see FirstSeenMemo);
 * returns the reader of the first time (0: the key has not worked from this IP).
 */
export function recordKeyIp(
  plan: Plan,
  firsts: FirstSeenBatch,
  ip: string,
  keyId: string,
  ts: number,
): (results: Results) => number {
  return firsts.once(plan, keyIpKey(ip, keyId), ip, 'f', ts, ttlFor(KEY_IP_MEMORY_MS));
}

/** The first time the key worked from this IP (0: never, as far as remembered). */
export function readKeyIp(plan: Plan, firsts: FirstSeenBatch, ip: string, keyId: string): (results: Results) => number {
  return firsts.readOnce(plan, keyIpKey(ip, keyId), ip, 'f');
}
