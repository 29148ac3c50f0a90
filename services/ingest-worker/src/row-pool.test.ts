import { describe, expect, it } from 'vitest';
import { coalesce, createRowPool } from './row-pool.js';

const text = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');

describe('row pool', () => {
  it('writes each line with its newline as UTF-8, across chunks when one is full', () => {
    const pool = createRowPool({ chunkBytes: 64 });
    const writer = pool.writer();
    const lines = ['{"a":1}', '{"city":"Zürich"}', '{"s":"\\ud800"}', 'x'.repeat(40), '{"emoji":"🔑"}'];
    const views = lines.map((line) => writer.write(line));
    expect(views.map(text)).toEqual(lines.map((line) => `${line}\n`));
    expect(pool.stats().chunks).toBeGreaterThan(1);
  });

  it('gives an outsized line bytes of its own, outside the chunks', () => {
    const pool = createRowPool({ chunkBytes: 16 });
    const writer = pool.writer();
    expect(text(writer.write('y'.repeat(20)))).toBe(`${'y'.repeat(20)}\n`);
    expect(pool.stats().chunks).toBe(0);
  });

  it('reuses released chunks and keeps at most maxFreeChunks of them', () => {
    const pool = createRowPool({ chunkBytes: 32, maxFreeChunks: 1 });
    const a = pool.writer();
    const b = pool.writer();
    a.write('a'.repeat(8));
    b.write('b'.repeat(8));
    expect(pool.stats()).toEqual({ chunks: 2, free: 0, bytes: 64 });
    a.release();
    b.release();
    b.release();
    expect(pool.stats()).toEqual({ chunks: 1, free: 1, bytes: 32 });
    const c = pool.writer();
    expect(text(c.write('c'))).toBe('c\n');
    expect(pool.stats()).toEqual({ chunks: 1, free: 0, bytes: 32 });
    expect(() => a.write('late')).toThrow(/after release/);
  });

  it('joins neighbouring rows of a chunk into one piece and keeps the order', () => {
    const pool = createRowPool({ chunkBytes: 32 });
    const a = pool.writer();
    const b = pool.writer();
    const rows = [a.write('1'), a.write('2'), b.write('3'), a.write('4'), a.write('5')];
    const pieces = [...coalesce(rows)];
    expect(pieces.map(text)).toEqual(['1\n2\n', '3\n', '4\n5\n']);
    expect([...coalesce([rows[0]!, rows[2]!, rows[1]!])].map(text)).toEqual(['1\n', '3\n', '2\n']);
    expect([...coalesce([])]).toEqual([]);
  });

  it('writes binary rows in place, keeps nothing of a row whose writing threw, and gives an outsized row bytes of its own', () => {
    const pool = createRowPool({ chunkBytes: 32 });
    const writer = pool.writer();
    const first = writer.writeWith(8, (w) => w.uint32('a', 7));
    expect(() =>
      writer.writeWith(8, (w) => {
        w.uint16('b', 1);
        w.uint16('c', 70_000);
      }),
    ).toThrow('c: 70000 is not an integer in 0…65535');
    const second = writer.writeWith(8, (w) => w.string('d', 'hé'));
    expect([...first]).toEqual([7, 0, 0, 0]);
    expect([...second]).toEqual([3, 0x68, 0xc3, 0xa9]);
    // Adjacent in the chunk: the failed row left no bytes between them.
    expect(second.byteOffset).toBe(first.byteOffset + first.byteLength);
    const big = writer.writeWith(100, (w) => w.string('e', 'x'.repeat(60)));
    expect(big.byteLength).toBe(61);
    expect(pool.stats().chunks).toBe(1);
  });
});
