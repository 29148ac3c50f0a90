import { z } from 'zod';
import { KEY_CHECKSUM_LENGTH, KEY_RANDOM_LENGTH } from './keys.js';

/**
 * The key format as the regular expression a secret scanner registers (docs/contracts.md#leak-reports):
 * prefix, 30 random base62 characters and the 6-character CRC32 checksum.
 */
export const KEY_PATTERN = `\\b(?:sk|pk)_(?:dev|live)_[0-9A-Za-z]{${String(KEY_RANDOM_LENGTH + KEY_CHECKSUM_LENGTH)}}\\b`;

/** At most this many tokens in one GitHub report: GitHub batches far fewer; more is refused with 413. */
export const MAX_REPORTED_TOKENS = 5000;
/** Longest reported token accepted: far above a key's 44 characters, far below anything abusive. */
export const MAX_TOKEN_LENGTH = 1024;
const MAX_URL_LENGTH = 4096;
const MAX_LABEL_LENGTH = 200;

/** The verdict on one reported token: a live key of this deployment, or not. */
export const LeakLabel = z.enum(['true_positive', 'false_positive']);
export type LeakLabel = z.infer<typeof LeakLabel>;

/** One match in a report of GitHub's secret scanning partner program. */
export const GithubTokenMatch = z.object({
  token: z.string().max(MAX_TOKEN_LENGTH),
  type: z.string().max(MAX_LABEL_LENGTH).default(''),
  url: z.string().max(MAX_URL_LENGTH).default(''),
  source: z.string().max(MAX_LABEL_LENGTH).default(''),
});
export type GithubTokenMatch = z.infer<typeof GithubTokenMatch>;

/** The body of `POST /v1/leaks/github`: a JSON array of matches. */
export const GithubLeakReport = z.array(GithubTokenMatch).min(1).max(MAX_REPORTED_TOKENS);
export type GithubLeakReport = z.infer<typeof GithubLeakReport>;

/** GitHub's feedback for one reported token (the answer of `POST /v1/leaks/github` is an array of these). */
export const GithubLeakFeedback = z.object({
  token_raw: z.string(),
  token_type: z.string(),
  label: LeakLabel,
});
export type GithubLeakFeedback = z.infer<typeof GithubLeakFeedback>;

/** GitHub's published key list shape (`/meta/public_keys/secret_scanning`). */
export const GithubScanningKeys = z.object({
  public_keys: z
    .array(
      z.object({
        key_identifier: z.string().min(1),
        key: z.string().min(1),
        is_current: z.boolean().default(false),
      }),
    )
    .min(1),
});
export type GithubScanningKeys = z.infer<typeof GithubScanningKeys>;

/** The body of `POST /v1/leaks`: a token or a key id (exactly one), where it was found, by whom. */
export const LeakReportBody = z
  .strictObject({
    token: z.string().min(1).max(MAX_TOKEN_LENGTH).optional(),
    key_id: z.string().min(1).max(MAX_LABEL_LENGTH).optional(),
    source: z.string().min(1, 'must not be empty').max(MAX_LABEL_LENGTH),
    url: z.string().max(MAX_URL_LENGTH).optional(),
    note: z.string().max(2000).optional(),
  })
  .superRefine((body, ctx) => {
    if ((body.token === undefined) === (body.key_id === undefined))
      ctx.addIssue({ code: 'custom', path: ['token'], message: 'give exactly one of token and key_id' });
  });
export type LeakReportBody = z.infer<typeof LeakReportBody>;

/** The 202 answer of `POST /v1/leaks`. */
export const LeakReceipt = z.object({
  leak_id: z.string().min(1),
  key_id: z.string().min(1).nullable(),
  label: LeakLabel,
});
export type LeakReceipt = z.infer<typeof LeakReceipt>;
