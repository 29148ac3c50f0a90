export { startGateway, type Gateway, type GatewayOptions } from './service.js';
export { gatewayConfig } from './config.js';
export { demoRoutes, NOT_FOUND } from './upstream.js';
export { createProxy, type Proxy } from './proxy.js';
