/**
 * Reading Prometheus text from a worker's `/metrics`, for exact accounting in tests.
 * @module
 */

/** Sum of every sample of `name` in Prometheus `text` whose labels include all of `labels`. */
export function sumOf(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([label, value]) => line.includes(`${label}="${value}"`)))
      total += Number(line.split(' ').pop());
  }
  return total;
}

/**
 * One scrape of `<metricsUrl>/metrics` (read several figures from one scrape so they agree). A reused
 * keep-alive connection the server closed at that moment fails with ECONNRESET (seen on a loaded
 * machine): asked again, up to three times.
 */
export async function scrape(metricsUrl: string): Promise<string> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await (await fetch(`${metricsUrl}/metrics`)).text();
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

/** Sum of every sample of `name` whose labels include all of `labels` (e.g. `{ result: 'invalid' }`), from a fresh scrape. */
export async function metricSum(
  metricsUrl: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  return sumOf(await scrape(metricsUrl), name, labels);
}
