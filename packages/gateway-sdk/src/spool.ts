import { createWriteStream, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { encodeAuthEvent, type AuthEvent } from '@keywatch/contracts';
import type { Logger } from '@keywatch/logger';

/** Options of {@link createDiskSpool}. */
export interface DiskSpoolOptions {
  /** The file to append to (created with mode 600, parent directories too). */
  file: string;
  /** Stop spooling beyond this size (default 256 MiB); further events are dropped and counted. */
  maxBytes?: number;
  logger: Logger;
}

/** The disk spool: plug `overflow` into `createAuthEventEmitter({ overflow })`. */
export interface DiskSpool {
  /** Appends events as JSON lines. Throws when the spool is full or closed (the emitter then drops them, counted). */
  overflow(events: AuthEvent[]): void;
  stats(): { spooled: number; bytes: number };
  close(): Promise<void>;
}

/**
 * Appends auth events that would be dropped to a local file, one JSON auth event per line as they
 * would have been produced (fingerprints only, no credentials); replay is in the package README.
 * `overflow` never waits for the disk.
 */
export function createDiskSpool(options: DiskSpoolOptions): DiskSpool {
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  mkdirSync(path.dirname(options.file), { recursive: true, mode: 0o700 });
  let bytes = 0;
  try {
    bytes = statSync(options.file).size;
  } catch {
    // a new file
  }
  let spooled = 0;
  let closed = false;
  const log = options.logger.child({ component: 'event-spool', file: options.file });
  const stream = createWriteStream(options.file, { flags: 'a', mode: 0o600 });
  stream.on('error', (error) => {
    closed = true;
    log.error({ err: error }, 'auth event spool failed; events will be dropped');
  });
  return {
    overflow(events) {
      if (closed) throw new Error('the spool is closed');
      const text = events.map((event) => `${encodeAuthEvent(event)}\n`).join('');
      const size = Buffer.byteLength(text);
      if (bytes + size > maxBytes) throw new Error(`the spool is full (${maxBytes} bytes)`);
      bytes += size;
      spooled += events.length;
      stream.write(text);
    },
    stats: () => ({ spooled, bytes }),
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise<void>((resolve) => stream.end(resolve));
    },
  };
}
