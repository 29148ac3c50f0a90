import { RowBinaryWriter } from '@keywatch/clickhouse';

/**
 * Where the worker keeps its rows between preparation and insert: UTF-8 bytes in reused chunks
 * outside the JavaScript heap, so rows that wait long enough to be promoted neither grow V8's old
 * generation nor leave garbage; the insert streams the bytes as they are.
 */

/** Sizes of {@link createRowPool}. */
export interface RowPoolOptions {
  /** Bytes per chunk. Default 1 MiB. */
  chunkBytes?: number;
  /** Free chunks kept for reuse; chunks released beyond this are left to the garbage collector. Default 32. */
  maxFreeChunks?: number;
}

/** Writes the rows of one contribution (one consumed partition batch) into chunks of the pool. */
export interface RowWriter {
  /** Appends `line` and a newline as UTF-8; the view stays valid until {@link release}. */
  write(line: string): Uint8Array;
  /**
   * Appends what `fill` writes at `writer.offset` (at most `worst` bytes) and returns its view,
   * valid until {@link release}. If `fill` throws, nothing of it is kept.
   */
  writeWith(worst: number, fill: (writer: RowBinaryWriter) => void): Uint8Array;
  /** Gives the chunks back to the pool. The views it returned must not be read afterwards. Idempotent. */
  release(): void;
}

/** Chunks of bytes shared by the {@link RowWriter}s of one worker. */
export interface RowPool {
  writer(): RowWriter;
  /** Chunks alive (free or in use), chunks free, and the bytes of the chunks alive. */
  stats(): { chunks: number; free: number; bytes: number };
}

/** A pool of reused byte chunks for rows (see the module comment). */
export function createRowPool(options: RowPoolOptions = {}): RowPool {
  const chunkBytes = options.chunkBytes ?? 1024 * 1024;
  const maxFree = options.maxFreeChunks ?? 32;
  const free: Buffer[] = [];
  let live = 0;

  const take = (): Buffer => {
    const chunk = free.pop();
    if (chunk) return chunk;
    live += 1;
    // Slow: a chunk of its own, never a slice of Node's shared 8 KiB pool.
    return Buffer.allocUnsafeSlow(chunkBytes);
  };
  const give = (chunk: Buffer) => {
    if (free.length < maxFree) free.push(chunk);
    else live -= 1;
  };

  return {
    stats: () => ({ chunks: live, free: free.length, bytes: live * chunkBytes }),
    writer() {
      const held: Buffer[] = [];
      const binary = new RowBinaryWriter(Buffer.alloc(0));
      let current: Buffer | undefined;
      let used = 0;
      let released = false;
      return {
        write(line) {
          if (released) throw new Error('row writer used after release');
          // UTF-8 takes at most 3 bytes per UTF-16 code unit; +1 for the newline.
          const worst = line.length * 3 + 1;
          if (worst > chunkBytes) return Buffer.from(`${line}\n`); // an outsized row: bytes of its own
          if (!current || chunkBytes - used < worst) {
            current = take();
            held.push(current);
            used = 0;
          }
          const start = used;
          used += current.write(line, start, 'utf8');
          current[used] = 0x0a;
          used += 1;
          return current.subarray(start, used);
        },
        writeWith(worst, fill) {
          if (released) throw new Error('row writer used after release');
          if (worst > chunkBytes) {
            // An outsized row: bytes of its own.
            const own = new RowBinaryWriter(Buffer.allocUnsafe(worst));
            fill(own);
            return own.buffer.subarray(0, own.offset);
          }
          if (!current || chunkBytes - used < worst) {
            current = take();
            held.push(current);
            used = 0;
          }
          binary.reset(current, used);
          fill(binary);
          const start = used;
          used = binary.offset;
          return current.subarray(start, used);
        },
        release() {
          if (released) return;
          released = true;
          for (const chunk of held) give(chunk);
          held.length = 0;
          current = undefined;
        },
      };
    },
  };
}

/**
 * The views of `rows` with neighbours in the same chunk joined (rows of a contribution are
 * written one after another), so an insert streams a few large pieces instead of one per row.
 */
export function* coalesce(rows: readonly Uint8Array[]): Generator<Uint8Array> {
  let piece: Uint8Array | undefined;
  for (const row of rows) {
    if (piece && piece.buffer === row.buffer && piece.byteOffset + piece.byteLength === row.byteOffset) {
      piece = new Uint8Array(piece.buffer, piece.byteOffset, piece.byteLength + row.byteLength);
      continue;
    }
    if (piece) yield piece;
    piece = row;
  }
  if (piece) yield piece;
}
