/**
 * Line charts as hand-written SVG (no charting dependency): lines on axes with ticks, a title and
 * a legend. Enough for the soak's time series; readable in a browser and on GitHub.
 * @module
 */

/** One line: its name in the legend and its points (x ascending; NaN y values leave a gap). */
export interface Series {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  width?: number;
  height?: number;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

/** Round tick steps (1, 2, 5 × 10^n) covering `[min, max]` in about `count` steps. */
export function ticks(min: number, max: number, count = 5): number[] {
  if (!(Number.isFinite(min) && Number.isFinite(max))) return [0];
  if (max <= min) max = min + 1;
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  const out: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  if ((out.at(-1) ?? min) < max) out.push(Number(((out.at(-1) ?? min) + step).toPrecision(12)));
  return out;
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const label = (v: number) => (Math.abs(v) >= 10_000 ? `${v / 1000}k` : String(v));

/** The chart as an SVG document. The y axis starts at 0 (these are counts, sizes and durations). */
export function lineChart(options: ChartOptions): string {
  const width = options.width ?? 760;
  const height = options.height ?? 360;
  const margin = { left: 70, right: 20, top: 40, bottom: 70 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const all = options.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const xTicks = ticks(xs.length ? Math.min(0, ...xs) : 0, xs.length ? Math.max(...xs) : 1);
  const yTicks = ticks(0, ys.length ? Math.max(...ys, 0) : 1);
  const [x0, x1] = [xTicks[0] ?? 0, xTicks.at(-1) ?? 1];
  const [y0, y1] = [yTicks[0] ?? 0, yTicks.at(-1) ?? 1];
  const px = (x: number) => margin.left + ((x - x0) / (x1 - x0 || 1)) * plotW;
  const py = (y: number) => margin.top + plotH - ((y - y0) / (y1 - y0 || 1)) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escape(options.title)}</text>`,
  ];
  for (const t of yTicks)
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${py(t)}" y2="${py(t)}" stroke="#e5e5e5"/>`,
      `<text x="${margin.left - 6}" y="${py(t) + 4}" text-anchor="end">${label(t)}</text>`,
    );
  for (const t of xTicks)
    parts.push(
      `<line x1="${px(t)}" x2="${px(t)}" y1="${margin.top + plotH}" y2="${margin.top + plotH + 5}" stroke="#333"/>`,
      `<text x="${px(t)}" y="${margin.top + plotH + 18}" text-anchor="middle">${label(t)}</text>`,
    );
  parts.push(
    `<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="#333"/>`,
    `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${margin.top + plotH}" y2="${margin.top + plotH}" stroke="#333"/>`,
    `<text x="${margin.left + plotW / 2}" y="${margin.top + plotH + 36}" text-anchor="middle">${escape(options.xLabel)}</text>`,
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escape(options.yLabel)}</text>`,
  );
  options.series.forEach((series, i) => {
    const colour = COLOURS[i % COLOURS.length];
    // NaN splits a line into segments.
    const segments: string[][] = [[]];
    for (const [x, y] of series.points) {
      if (Number.isFinite(x) && Number.isFinite(y)) segments.at(-1)?.push(`${px(x).toFixed(1)},${py(y).toFixed(1)}`);
      else if ((segments.at(-1)?.length ?? 0) > 0) segments.push([]);
    }
    for (const segment of segments) {
      if (segment.length === 1)
        parts.push(
          `<circle cx="${segment[0]?.split(',')[0]}" cy="${segment[0]?.split(',')[1]}" r="2" fill="${colour}"/>`,
        );
      else if (segment.length > 1)
        parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.8" points="${segment.join(' ')}"/>`);
    }
    const rows = Math.ceil(options.series.length / 3);
    const lx = margin.left + (i % 3) * (plotW / 3);
    const ly = height - 14 * rows + Math.floor(i / 3) * 14;
    parts.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${colour}" stroke-width="3"/>`,
      `<text x="${lx + 24}" y="${ly}">${escape(series.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
