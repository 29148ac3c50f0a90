/**
 * `@keywatch/key-auth`: the one rule for authenticating a presented API key — reading the
 * credential and the client address, allowlists, the root key, effective state and scope. The
 * gateway SDK's verifier (with its cache and Redis policy) and Keywatch's own APIs are adapters.
 * @module
 */
export {
  clientIp,
  ipAllowed,
  normalizeIp,
  originAllowed,
  presentedCredential,
  type RequestHeaders,
  type TrustProxy,
} from './access.js';
export {
  createKeyAuthenticator,
  rootKeyMatcher,
  type KeyAuthentication,
  type KeyAuthenticatorOptions,
  type KeyAuthRequest,
  type KeyCaller,
  type KeyKind,
} from './authenticate.js';
export { keyRefusal, REFUSAL_STATUS, type KeyRefusal, type KeyRequirements, type Refusal } from './check.js';
