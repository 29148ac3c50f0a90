import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { formatIssues, GithubScanningKeys, validate } from '@keywatch/contracts';

/** Verifies GitHub's secret scanning signatures against a fixed set of public keys. */
export interface GithubSignatureVerifier {
  /** Key identifiers it knows (for logs and the README's self-check). */
  readonly identifiers: readonly string[];
  /**
   * True only when `keyId` names a known ECDSA P-256 key and `signatureB64` is its DER signature,
   * base64, of `body` with SHA-256. Never throws on hostile input.
   */
  verify(body: Buffer, keyId: string | undefined, signatureB64: string | undefined): boolean;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
// A DER P-256 signature is at most 72 bytes (96 characters of base64): anything longer is not one.
const MAX_SIGNATURE_B64 = 128;

/** Builds a verifier from GitHub's published key list shape (`{ public_keys: [{ key_identifier, key, is_current }] }`). */
export function githubVerifierFromJson(json: unknown, where = 'GitHub scanning keys'): GithubSignatureVerifier {
  const checked = validate(GithubScanningKeys, json);
  if (!checked.ok) throw new Error(`${where}: ${formatIssues(checked.issues)}`);
  const keys = new Map<string, KeyObject>();
  for (const entry of checked.value.public_keys) {
    let key: KeyObject;
    try {
      key = createPublicKey(entry.key);
    } catch (error) {
      throw new Error(
        `${where}: key ${entry.key_identifier} is not a PEM public key (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      throw new Error(`${where}: key ${entry.key_identifier} is not an ECDSA P-256 key`);
    keys.set(entry.key_identifier, key);
  }
  return {
    identifiers: [...keys.keys()],
    verify(body, keyId, signatureB64) {
      if (!keyId || !signatureB64) return false;
      const key = keys.get(keyId);
      const signature = signatureB64.trim();
      if (!key || signature.length > MAX_SIGNATURE_B64 || !BASE64.test(signature)) return false;
      try {
        return verify('sha256', body, { key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
      } catch {
        return false;
      }
    },
  };
}

/** Reads the key file named by KEYWATCH_GITHUB_SCANNING_KEYS_FILE (GitHub's published JSON, saved). */
export function loadGithubVerifier(file: string): GithubSignatureVerifier {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(
      `KEYWATCH_GITHUB_SCANNING_KEYS_FILE (${file}): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return githubVerifierFromJson(json, `KEYWATCH_GITHUB_SCANNING_KEYS_FILE (${file})`);
}
