/**
 * `@keywatch/webhooks`: alert delivery to webhook destinations, shared by the key service (which
 * configures destinations) and the notifier (which delivers): the `Keywatch-Signature` signer and
 * the verifier receivers use, the SSRF guard for destination URLs, sealed secrets, the destination
 * store, the delivery log and the delivery queue's names.
 * @module
 */
export {
  SIGNATURE_HEADER,
  signPayload,
  verifyWebhookSignature,
  type VerifyFailure,
  type VerifyOptions,
  type VerifyResult,
} from './signature.js';
export {
  checkDestinationUrl,
  forbiddenRange,
  systemResolver,
  type DestinationCheck,
  type DestinationCheckOptions,
  type DestinationRefusal,
  type ResolvedAddress,
  type Resolver,
} from './ssrf.js';
export { createSecretBox, generateWebhookSecret, MIN_SECRETS_KEY_LENGTH, type SecretBox } from './secrets.js';
export {
  createWebhookStore,
  newWebhookId,
  receivesAlertsOf,
  SEVERITY_ORDER,
  webhookLayout,
  type NewWebhook,
  type Severity,
  type Webhook,
  type WebhookKind,
  type WebhookStore,
} from './store.js';
export {
  createDeliveryLog,
  DEFAULT_QUEUE_PREFIX,
  DELIVERY_QUEUE,
  DELIVERY_STATUSES,
  deliveryId,
  openDeliveryQueue,
  replayDelivery,
  type AlertPayload,
  type Delivery,
  type DeliveryJobData,
  type DeliveryLog,
  type DeliveryQueue,
  type DeliveryStatus,
  type ReplayOutcome,
} from './deliveries.js';
