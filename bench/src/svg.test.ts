import { describe, expect, it } from 'vitest';
import { lineChart, ticks } from './svg.js';

describe('ticks', () => {
  it('covers the range with round steps', () => {
    expect(ticks(0, 97)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(ticks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks(3, 3)).toEqual([3, 3.2, 3.4, 3.6, 3.8, 4]);
  });
});

describe('lineChart', () => {
  it('draws one polyline per series segment, gaps at NaN, and escapes text', () => {
    const svg = lineChart({
      title: 'lag <group>',
      xLabel: 's',
      yLabel: 'messages',
      series: [
        {
          name: 'a & b',
          points: [
            [0, 1],
            [1, 2],
            [2, Number.NaN],
            [3, 4],
            [4, 5],
          ],
        },
      ],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('lag &lt;group&gt;');
    expect(svg).toContain('a &amp; b');
  });
});
