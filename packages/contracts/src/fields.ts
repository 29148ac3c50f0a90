import { isIP } from 'node:net';
import { z } from 'zod';

/** The contract version every message carries in `v`. */
export const ContractVersion = z.literal(1);

/** An identifier or label that must not be empty (`gateway_id`, `tenant_id`, `actor`, …). */
export const NonEmptyString = z.string().min(1, 'must not be empty');

/** An IPv4 or IPv6 address as Node's `net.isIP` understands it. */
export const IpAddress = z.string().refine((text) => isIP(text) !== 0, 'must be an IPv4 or IPv6 address');
