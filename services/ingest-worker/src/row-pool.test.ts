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
});
