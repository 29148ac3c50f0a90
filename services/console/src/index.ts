export { consoleConfig } from './config.js';
export { startConsole, type Console } from './service.js';
export { buildApp, type AppDependencies } from './app.js';
export { createMemorySessionStore, type Session, type SessionStore, type Capabilities } from './sessions.js';
export { createHttpUpstream, type Upstream } from './upstream.js';
export { ensureWebBuild, webBuildIsStale } from './web-build.js';
