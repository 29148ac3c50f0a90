export {
  startAuthServer,
  tokenMatcher,
  type AuthServer,
  type AuthServerConfig,
  type AuthServerOptions,
} from './service.js';
export { authServerConfig } from './config.js';
export { forwardedIp, keyInQuery, openApiDocument, VerifyRequest, type VerifyAnswer } from './routes.js';
export { caddyfile, nginxConfig, type ProxyConfigOptions } from './proxy-configs.js';
