import { expect, test } from 'vitest';
import { areNeighbours, createGeoLookup, distanceKm } from './geo.js';
import { IPS } from './testing.js';

test('the IPs the tests and the evaluation rely on are where geoip-lite says', () => {
  const geo = createGeoLookup();
  const countries = Object.fromEntries(Object.entries(IPS).map(([name, ip]) => [name, geo(ip)?.country]));
  expect(countries).toEqual({
    berlin: 'DE',
    nuremberg: 'DE',
    zurich: 'CH',
    sydney: 'AU',
    saoPaulo: 'BR',
    recife: 'BR',
    singapore: 'SG',
    amsterdam: 'NL',
    mountainView: 'US',
    parkForest: 'US',
    london: 'GB',
    strasbourg: 'FR',
  });
  expect(geo('10.0.0.1')).toBeNull();
});

test('distances and neighbours', () => {
  expect(Math.round(distanceKm({ lat: 52.52, lon: 13.405 }, { lat: 48.8566, lon: 2.3522 }))).toBe(877);
  expect(areNeighbours('DE', 'CH')).toBe(true);
  expect(areNeighbours('CH', 'DE')).toBe(true);
  expect(areNeighbours('US', 'CA')).toBe(true);
  expect(areNeighbours('DE', 'AU')).toBe(false);
});
