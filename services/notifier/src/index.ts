export { notifierConfig, type NotifierConfig } from './config.js';
export { startNotifier, type Notifier } from './service.js';
export { createAlertRouter, routes } from './router.js';
export { createDeliveryWorker, type DeliveryOutcome } from './worker.js';
export { slackMessage } from './slack.js';
export { postPinned } from './deliver.js';
