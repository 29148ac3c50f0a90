import { Scope } from '@keywatch/contracts';

/** What the gateway does for a route when Redis cannot answer in time. */
export type RedisFailurePolicy = 'closed' | 'open';

/** One row of the route → scope table. */
export interface RouteRule {
  /** HTTP method, upper case (`GET` also serves `HEAD` unless a `HEAD` rule exists). */
  method: string;
  /** Template: `/`-separated segments, `:name` matches one non-empty segment, e.g. `/v1/customers/:id`. */
  route: string;
  /** The scope the key must hold; `null`: any valid key of the gateway's environment. */
  scope: Scope | null;
  /**
   * `closed` (default): refuse when Redis fails, is slower than the timeout or its breaker is open
   * (429 `rate_limited` with `Retry-After`; a cached key without a rate limit needs no Redis).
   * `open`: let the request through (a cached key is still fully checked; an uncached one is not).
   */
  redisFailure?: RedisFailurePolicy;
}

/** A matched rule. */
export interface RouteMatch {
  route: string;
  scope: Scope | null;
  redisFailure: RedisFailurePolicy;
}

/** Route table lookups. */
export interface RouteTable {
  /** The rule for this method and raw request path (query ignored), or null. */
  match(method: string, url: string): RouteMatch | null;
  readonly rules: readonly RouteRule[];
}

interface Compiled {
  segments: Array<string | null>;
  match: RouteMatch;
  /** Static segments weigh more than parameters, earlier ones more than later ones. */
  rank: number;
}

const scopeNames = new Set<string>(Scope.options);

// Segments a proxy or upstream might resolve differently from this matcher: refuse to match them
// rather than authorize `/v1/bundles/..%2Fpayments` as a bundles read.
const AMBIGUOUS = /%2f|%5c|\\|^\.{1,2}$|%2e/i;

/** Paths whose match is remembered (see `match`). */
const MEMO_SIZE = 1000;

function split(path: string): string[] {
  return path.split('/').slice(1);
}

/**
 * Builds the route table. Throws a RangeError naming the rule for a bad method, template or scope,
 * or a duplicate. Paths with `.`/`..` segments, encoded slashes or backslashes match no rule.
 */
export function createRouteTable(rules: readonly RouteRule[]): RouteTable {
  const byMethod = new Map<string, Compiled[]>();
  const seen = new Set<string>();
  rules.forEach((rule, index) => {
    const where = `route ${index} (${rule.method} ${rule.route})`;
    if (!/^[A-Z]+$/.test(rule.method)) throw new RangeError(`${where}: method must be upper-case letters`);
    if (!rule.route.startsWith('/') || /[?#\s*]/.test(rule.route))
      throw new RangeError(`${where}: route must start with / and hold no ?, #, * or spaces`);
    /* eslint-disable @typescript-eslint/no-unnecessary-type-conversion -- rules come from routes.json; the scope may not be a string */
    if (rule.scope !== null && !scopeNames.has(rule.scope))
      throw new RangeError(`${where}: unknown scope ${String(rule.scope)}`);
    /* eslint-enable @typescript-eslint/no-unnecessary-type-conversion */
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- rules come from routes.json, not only from typed callers
    if (rule.redisFailure !== undefined && rule.redisFailure !== 'closed' && rule.redisFailure !== 'open')
      throw new RangeError(`${where}: redisFailure must be closed or open`);
    const segments = split(rule.route).map((s) => (s.startsWith(':') ? null : s));
    const shape = `${rule.method} /${segments.map((s) => s ?? ':').join('/')}`;
    if (seen.has(shape)) throw new RangeError(`${where}: duplicates another rule`);
    seen.add(shape);
    const rank = segments.reduce<number>((sum, s, i) => sum + (s === null ? 0 : 2 ** (30 - Math.min(i, 30))), 0);
    const list = byMethod.get(rule.method) ?? [];
    list.push({
      segments,
      rank,
      match: { route: rule.route, scope: rule.scope, redisFailure: rule.redisFailure ?? 'closed' },
    });
    byMethod.set(rule.method, list);
  });
  for (const list of byMethod.values()) list.sort((a, b) => b.rank - a.rank);

  function find(list: Compiled[] | undefined, parts: string[]): RouteMatch | null {
    if (!list) return null;
    for (const candidate of list) {
      if (candidate.segments.length !== parts.length) continue;
      let ok = true;
      for (let i = 0; i < parts.length && ok; i += 1) {
        const want = candidate.segments[i];
        const part = parts[i]!;
        ok = want === null ? part !== '' : want === part;
      }
      if (ok) return candidate.match;
    }
    return null;
  }

  function lookup(method: string, path: string): RouteMatch | null {
    if (!path.startsWith('/')) return null;
    const parts = split(path);
    if (parts.some((p) => AMBIGUOUS.test(p))) return null;
    const upper = method.toUpperCase();
    return find(byMethod.get(upper), parts) ?? (upper === 'HEAD' ? find(byMethod.get('GET'), parts) : null);
  }

  // Recent answers by method and path: most traffic repeats a few paths. Emptied when full, so
  // memory stays bounded.
  const recent = new Map<string, RouteMatch | null>();
  return {
    rules,
    match(method, url) {
      const query = url.search(/[?#]/);
      const path = query === -1 ? url : url.slice(0, query);
      const memo = `${method} ${path}`;
      const known = recent.get(memo);
      if (known !== undefined) return known;
      const found = lookup(method, path);
      if (recent.size >= MEMO_SIZE) recent.clear();
      recent.set(memo, found);
      return found;
    },
  };
}
