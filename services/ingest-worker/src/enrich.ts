import type { GeoLocation, GeoLookup } from '@keywatch/geo';
import { LRUCache } from 'lru-cache';
import type { Enrichment } from './rows.js';

// Re-exported for the ingest bench (moving out of src); new code imports @keywatch/geo.

const NO_GEO: Omit<Enrichment, 'ua_class'> = { country: '', region: '', city: '', lat: null, lon: null, area: null };

/** The row's geography; `area` is a UInt16 column, so a larger radius is stored as unknown. */
function rowGeo(found: GeoLocation): Omit<Enrichment, 'ua_class'> {
  const radius = found.radiusKm;
  return {
    country: found.country,
    region: found.region,
    city: found.city,
    lat: found.lat,
    lon: found.lon,
    area: radius !== null && Number.isInteger(radius) && radius >= 0 && radius <= 65_535 ? radius : null,
  };
}

/**
 * A coarse user-agent class: `browser`, `bot`, `cli`, `sdk`, `other`, or '' without a user agent.
 * Order matters: crawlers announce themselves as Mozilla too.
 */
export function userAgentClass(userAgent: string): string {
  if (userAgent === '') return '';
  if (/bot|crawl|spider|slurp|monitor|preview/i.test(userAgent)) return 'bot';
  if (/^(curl|wget|httpie|powershell)\b/i.test(userAgent)) return 'cli';
  if (/^mozilla\/|^opera\//i.test(userAgent)) return 'browser';
  if (
    /node|undici|axios|python|requests|aiohttp|go-http|okhttp|java|ruby|php|guzzle|dotnet|\.net|rust|reqwest|libcurl|keywatch/i.test(
      userAgent,
    )
  )
    return 'sdk';
  return 'other';
}

/** Enriches rows with geography (cached per IP, least recently used evicted) and the user-agent class. */
export interface Enricher {
  enrich(ip: string, userAgent: string): Enrichment;
  /** The geography part alone (the cached object itself: do not change it). */
  geo(ip: string): Omit<Enrichment, 'ua_class'>;
  /** The user-agent part alone ({@link userAgentClass}). */
  userAgentClass(userAgent: string): string;
  /** Lookups answered from the cache, and those that went to the database. */
  readonly stats: { hits: number; misses: number };
}

/** @param cacheSize - cached addresses; 0 turns the cache off. */
export function createEnricher(lookup: GeoLookup, cacheSize: number): Enricher {
  const cache = cacheSize > 0 ? new LRUCache<string, Omit<Enrichment, 'ua_class'>>({ max: cacheSize }) : undefined;
  const stats = { hits: 0, misses: 0 };
  const geo = (ip: string): Omit<Enrichment, 'ua_class'> => {
    const cached = cache?.get(ip);
    if (cached) {
      stats.hits += 1;
      return cached;
    }
    stats.misses += 1;
    const found = lookup(ip);
    const entry = found ? rowGeo(found) : NO_GEO;
    cache?.set(ip, entry);
    return entry;
  };
  return {
    stats,
    geo,
    userAgentClass,
    enrich: (ip, userAgent) => ({ ...geo(ip), ua_class: userAgentClass(userAgent) }),
  };
}
