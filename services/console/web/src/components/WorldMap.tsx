import { geoGraticule10, geoNaturalEarth1, geoPath } from 'd3-geo';
import type { ExtendedFeature, GeoGeometryObjects, GeoPermissibleObjects } from 'd3-geo';
import countries from 'i18n-iso-countries';
import { useMemo } from 'react';
import { feature } from 'topojson-client';
import world from 'world-atlas/countries-110m.json';
import { count } from '../format';

const WIDTH = 960;
const HEIGHT = 500;

type CountryShape = ExtendedFeature<GeoGeometryObjects | null, { name: string }>;
type TopologyInput = Parameters<typeof feature>[0];
const topology = world as unknown as TopologyInput;
const countriesObject = (topology.objects as Record<string, Parameters<typeof feature>[1]>).countries!;
const shapes = (feature(topology, countriesObject) as unknown as { features: CountryShape[] }).features;
const projection = geoNaturalEarth1().fitSize([WIDTH, HEIGHT], { type: 'Sphere' });
const path = geoPath(projection);
const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });

/** English name of an ISO 3166-1 alpha-2 code (`DE` → Germany). */
export function countryName(code: string | null): string {
  if (!code) return 'Unknown';
  try {
    return regionNames.of(code) ?? code;
  } catch {
    return code;
  }
}

export interface MapPoint {
  lat: number;
  lon: number;
  label: string;
}

/**
 * The world (Natural Earth 1:110m) with countries shaded by `values` (alpha-2 → requests, darker
 * is more, on a log scale), and optional points joined by a great-circle line (impossible travel).
 */
export function WorldMap({
  values = {},
  points = [],
  title,
}: {
  values?: Record<string, number>;
  points?: MapPoint[];
  title: string;
}) {
  const max = Math.max(1, ...Object.values(values));
  const byNumeric = useMemo(() => {
    const out = new Map<string, { code: string; n: number }>();
    for (const [code, n] of Object.entries(values)) {
      const numeric = countries.alpha2ToNumeric(code);
      if (numeric) out.set(numeric, { code, n });
    }
    return out;
  }, [values]);
  const line: GeoPermissibleObjects | null =
    points.length >= 2 ? { type: 'LineString', coordinates: points.map((p) => [p.lon, p.lat]) } : null;
  return (
    <figure className="world-map">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={title}>
        <path d={path({ type: 'Sphere' }) ?? ''} className="sphere" />
        <path d={path(geoGraticule10()) ?? ''} className="graticule" />
        {shapes.map((shape) => {
          const hit = shape.id === undefined ? undefined : byNumeric.get(String(shape.id));
          const shade = hit ? 0.25 + 0.75 * (Math.log1p(hit.n) / Math.log1p(max)) : 0;
          return (
            <path
              key={String(shape.id ?? shape.properties.name)}
              d={path(shape) ?? ''}
              className={hit ? 'country used' : 'country'}
              fillOpacity={hit ? shade : undefined}
            >
              <title>{hit ? `${countryName(hit.code)}: ${count(hit.n)} requests` : shape.properties.name}</title>
            </path>
          );
        })}
        {line && <path d={path(line) ?? ''} className="travel" />}
        {points.map((p, i) => {
          const xy = projection([p.lon, p.lat]);
          if (!xy) return null;
          return (
            <g key={i} transform={`translate(${xy[0]},${xy[1]})`} className="point">
              <circle r={6} />
              <text x={xy[0] > WIDTH * 0.8 ? -9 : 9} y={4} textAnchor={xy[0] > WIDTH * 0.8 ? 'end' : 'start'}>
                {p.label}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>{title}</figcaption>
    </figure>
  );
}
