import {
  Bar,
  BarChart,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { UsagePoint } from '../api';
import { count, percent, tick, utc } from '../format';

/** Requests per bucket as bars, error rate as a line on its own axis (percent). */
export function UsageChart({ points, rangeMs, title }: { points: UsagePoint[]; rangeMs: number; title: string }) {
  const data = points.map((p) => ({ ts: p.ts, requests: p.requests, errorRate: Math.round(p.error_rate * 1000) / 10 }));
  return (
    <figure className="chart">
      <div
        className="chart-box"
        role="img"
        aria-label={`${title}: ${count(points.reduce((s, p) => s + p.requests, 0))} requests in total`}
      >
        <ResponsiveContainer width="100%" height={260}>
          <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="ts" tickFormatter={(t: string) => tick(t, rangeMs)} minTickGap={24} />
            <YAxis
              yAxisId="requests"
              allowDecimals={false}
              width={56}
              label={{ value: 'requests', angle: -90, position: 'insideLeft' }}
            />
            <YAxis yAxisId="rate" orientation="right" unit=" %" domain={[0, 100]} width={56} />
            {/* eslint-disable @typescript-eslint/no-base-to-string -- the label is the ISO time of the point */}
            <Tooltip
              labelFormatter={(t) => utc(String(t))}
              formatter={(value, name) => (name === 'error rate' ? `${String(value)} %` : count(Number(value)))}
            />
            {/* eslint-enable @typescript-eslint/no-base-to-string */}
            <Legend />
            <Bar yAxisId="requests" dataKey="requests" name="requests" fill="#3b6fd8" isAnimationActive={false} />
            <Line
              yAxisId="rate"
              dataKey="errorRate"
              name="error rate"
              stroke="#d8453b"
              dot={false}
              isAnimationActive={false}
            />
          </ComposedChart>
        </ResponsiveContainer>
      </div>
      <figcaption>{title}</figcaption>
    </figure>
  );
}

/** A small bar chart of named counts (by outcome, by status, the evidence against its baseline). */
export function CountBars({
  data,
  title,
  unit = 'requests',
}: {
  data: Array<{ name: string; value: number }>;
  title: string;
  unit?: string;
}) {
  return (
    <figure className="chart small">
      <div
        className="chart-box"
        role="img"
        aria-label={`${title}: ${data.map((d) => `${d.name} ${d.value}`).join(', ')}`}
      >
        <ResponsiveContainer width="100%" height={Math.max(120, 36 * data.length + 40)}>
          <BarChart data={data} layout="vertical" margin={{ top: 4, right: 24, bottom: 4, left: 8 }}>
            <XAxis type="number" allowDecimals={false} />
            <YAxis type="category" dataKey="name" width={150} />
            <Tooltip formatter={(value) => `${count(Number(value))} ${unit}`} />
            <Bar dataKey="value" name={unit} fill="#3b6fd8" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <figcaption>{title}</figcaption>
    </figure>
  );
}

export { percent };
