import { declaredNodeFlags as declaredBy, missingNodeFlags as missingOf } from '@keywatch/lifecycle';

const serviceDir = new URL('..', import.meta.url);

/** The Node flags the ingest worker declares for its launch (`keywatch.nodeFlags` in its package.json). */
export const declaredNodeFlags = (): string[] => declaredBy(serviceDir);

/** Declared flags this process (or one started with `given`) lacks (see `@keywatch/lifecycle`). */
export const missingNodeFlags = (
  given: readonly string[] = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)],
): string[] => missingOf(serviceDir, given);
