export {
  createAnalyticsClient,
  createKeyServiceClient,
  type AnalyticsClient,
  type KeyServiceClient,
} from './clients.js';
export { KeywatchApiError, KeywatchUnavailableError, type ApiName } from './errors.js';
export { sendJson, sendRaw, type ClientOptions, type Query, type RawRequest, type RawResponse } from './transport.js';
export type * from './types.js';
