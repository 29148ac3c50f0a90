import { areNeighbours, distanceKm } from '../geo.js';
import { DAY } from '../params.js';
import { asArray, asNumber, asScored, asString } from '../state/ops.js';
import type { Detector, Signal } from './types.js';
import { formatDuration, round, subject, ttlFor } from './types.js';

interface Seen {
  ts: number;
  lat: number;
  lon: number;
  radiusKm: number;
  country: string;
  ip: string;
}

function parseSeen(text: string | null): Seen | null {
  if (!text) return null;
  const [ts, lat, lon, radius, country = '', ...ip] = text.split('|');
  const seen = {
    ts: Number(ts),
    lat: Number(lat),
    lon: Number(lon),
    radiusKm: Number(radius),
    country,
    ip: ip.join('|'),
  };
  return Number.isFinite(seen.ts) && Number.isFinite(seen.lat) && Number.isFinite(seen.lon) ? seen : null;
}

/**
 * Geography of a key's successful uses: a country not seen in `lookback_ms` (geo_new_country),
 * once the key's first success is `learning_ms` old in event time, and consecutive uses too far
 * apart for the time between them (impossible_travel, at the smallest distance the accuracy
 * circles allow, after a few located uses or the learning period). Secret keys only: a
 * publishable key is used from its end users' browsers everywhere (README).
 */
export const geography: Detector = ({ event, ts, params, location, latenessMs, trusted }, plan) => {
  const g = params.geo_new_country;
  const t = params.impossible_travel;
  const who = subject(event);
  if (
    (!g.enabled && !t.enabled) ||
    event.outcome !== 'allowed' ||
    !who ||
    !location ||
    trusted ||
    event.key_type === 'publishable'
  )
    return undefined;
  const ttl = ttlFor(Math.max(g.lookback_ms, g.learning_ms, t.memory_ms) + DAY);
  const here = `${ts}|${location.lat}|${location.lon}|${location.radiusKm}|${location.country}|${event.ip}`;
  const at = plan.add({
    kind: 'geo',
    key: plan.key(`g:${who.keyId}`, who.keyId),
    countriesKey: plan.key(`z:kc:${who.keyId}`, who.keyId),
    country: location.country,
    ts,
    location: here,
    since: ts - g.lookback_ms,
    minScore: ts - g.lookback_ms - latenessMs,
    ttlS: ttl,
  });

  return (results) => {
    const signals: Signal[] = [];
    const [countries, n, firstSeen, previous] = asArray(results[at]);
    // Countries used at or after ts - lookback: this one is new unless it is among them.
    const known = new Set(asScored(countries).map((c) => c.member));
    const successes = asNumber(n);
    const first = asNumber(firstSeen);
    // Learning periods are time: "new" means nothing until the key's normal life has been seen.
    const pastLearning = first > 0 && ts - first >= g.learning_ms;
    // Impossible travel keeps its physics: judged once a few uses located the key, or after the learning period.
    const travelJudged = pastLearning || successes >= t.learning_events;
    const isNew = !known.has(location.country);
    if (g.enabled && pastLearning && isNew) {
      signals.push({
        type: 'geo_new_country',
        severity: 'low',
        dedupKey: `geo_new_country:${who.keyId}:${location.country}`,
        suppressionMs: g.suppression_ms,
        tenantId: who.tenantId,
        keyId: who.keyId,
        ip: event.ip,
        windowStart: ts,
        windowEnd: ts,
        ts,
        summary: `Key ${who.keyId} was used successfully from ${location.country}, a country not seen for it in ${formatDuration(g.lookback_ms)}.`,
        evidence: {
          country: location.country,
          known_countries: [...known].sort(),
          successful_events_before: successes,
          lookback_ms: g.lookback_ms,
          learning_ms: g.learning_ms,
          first_success: new Date(first).toISOString(),
        },
      });
    }
    const prev = parseSeen(asString(previous));
    if (t.enabled && travelJudged && prev && prev.ip !== event.ip && Math.abs(ts - prev.ts) <= t.memory_ms) {
      const distance = distanceKm(prev, location);
      const minDistance = Math.max(t.min_distance_km, prev.radiusKm, location.radiusKm);
      const lowerBound = Math.max(0, distance - prev.radiusKm - location.radiusKm);
      const hours = Math.abs(ts - prev.ts) / 3_600_000;
      const speed = hours > 0 ? lowerBound / hours : lowerBound > 0 ? Number.POSITIVE_INFINITY : 0;
      if (distance > minDistance && lowerBound > 0 && speed > t.max_speed_kmh) {
        const fleet = known.size >= t.fleet_countries;
        const neighbours = prev.country !== location.country && areNeighbours(prev.country, location.country);
        const bothKnown = known.has(prev.country) && !isNew;
        const downgraded = fleet || neighbours;
        // Travel between two places this key is normally used from is its routine (a fleet, a border or,
        // with `ignore_familiar`, any two countries it already uses).
        if (!(bothKnown && (downgraded || t.ignore_familiar))) {
          const [from, to] =
            prev.ts <= ts ? [prev, { ...location, ts, ip: event.ip }] : [{ ...location, ts, ip: event.ip }, prev];
          signals.push({
            type: 'impossible_travel',
            severity: downgraded ? 'low' : 'medium',
            dedupKey: `impossible_travel:${who.keyId}`,
            suppressionMs: t.suppression_ms,
            tenantId: who.tenantId,
            keyId: who.keyId,
            ip: event.ip,
            windowStart: Math.min(prev.ts, ts),
            windowEnd: Math.max(prev.ts, ts),
            ts,
            summary: `Key ${who.keyId} was used from ${from.country} and ${to.country}, ${Math.round(distance)} km apart, ${round(hours * 60)} minutes apart.`,
            evidence: {
              from: {
                ip: from.ip,
                country: from.country,
                lat: from.lat,
                lon: from.lon,
                radius_km: from.radiusKm,
                at: new Date(from.ts).toISOString(),
              },
              to: {
                ip: to.ip,
                country: to.country,
                lat: to.lat,
                lon: to.lon,
                radius_km: to.radiusKm,
                at: new Date(to.ts).toISOString(),
              },
              distance_km: Math.round(distance),
              speed_kmh: Number.isFinite(speed) ? Math.round(speed) : null,
              downgraded: downgraded ? (fleet ? 'fleet' : 'neighbouring_countries') : null,
              known_countries: [...known].sort(),
            },
          });
        }
      }
    }
    return signals;
  };
};
