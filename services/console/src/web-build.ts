import { existsSync, readdirSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@keywatch/logger';

/** `services/console/web`: the single-page app's sources; the build goes to `web/dist`. */
export const WEB_DIR = fileURLToPath(new URL('../web/', import.meta.url));

function newestMtime(entry: string): number {
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const child of readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, child)));
  return newest;
}

/** True when `web/dist` is missing or older than any source of the app. */
export function webBuildIsStale(webDir = WEB_DIR): boolean {
  const built = path.join(webDir, 'dist', 'index.html');
  if (!existsSync(built)) return true;
  const sources = ['src', 'index.html', 'vite.config.ts', 'public']
    .map((p) => path.join(webDir, p))
    .filter((p) => existsSync(p));
  return Math.max(...sources.map(newestMtime)) > statSync(built).mtimeMs;
}

/**
 * Builds the app with Vite when the build is missing or stale, so `keywatch run console` works from
 * a clean clone. Builds into a directory of its own and renames it into place, so two processes
 * starting at once never serve a half-written build.
 */
export async function ensureWebBuild(logger: Logger, webDir = WEB_DIR): Promise<string> {
  const dist = path.join(webDir, 'dist');
  if (!webBuildIsStale(webDir)) return dist;
  const started = Date.now();
  logger.info({ web: webDir }, 'building the console app (missing or stale build)');
  const tmp = path.join(webDir, `.dist-${process.pid}-${started}`);
  const { build } = await import('vite');
  await build({
    root: webDir,
    configFile: path.join(webDir, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: tmp, emptyOutDir: true },
  });
  await rm(dist, { recursive: true, force: true });
  try {
    await rename(tmp, dist);
  } catch (error) {
    // Another process put its build in place between our rm and rename: use that one.
    await rm(tmp, { recursive: true, force: true });
    if (!existsSync(path.join(dist, 'index.html'))) throw error;
  }
  logger.info({ ms: Date.now() - started }, 'console app built');
  return dist;
}
