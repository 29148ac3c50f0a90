export { analyticsConfig } from './config.js';
export { startAnalyticsApi, type AnalyticsApi } from './service.js';
export { buildApp, type AppDependencies } from './app.js';
export { createAuthenticator, type Caller } from './auth.js';
export { segmentsOf, seriesRange, totalsRange, type Granularity, type Range, type Segment } from './params.js';
export { createAlertFeed, AlertsQuery, type AlertFeed, type AlertView } from './alerts.js';
export { usageSeries } from './queries.js';
export { searchRequests, RequestsQuery, type RequestView } from './requests.js';
