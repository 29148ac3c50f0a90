export { consoleConfig } from './config.js';
export { startConsole, type Console } from './service.js';
export { buildApp, type AppDependencies } from './app.js';
export {
  createMemorySessionStore,
  createRedisSessionStore,
  type Session,
  type SessionStore,
  type Capabilities,
} from './sessions.js';
export { createMemorySignInGuard, createRedisSignInGuard, type SignInGuard } from './signin-guard.js';
export { createHttpUpstream, type Upstream } from './upstream.js';
export { ensureWebBuild, webBuildIsStale } from './web-build.js';
