import geoip from 'geoip-lite';

/** Where an IP is, as far as the bundled GeoLite data knows. */
export interface Location {
  /** ISO 3166-1 alpha-2. */
  country: string;
  lat: number;
  lon: number;
  /** Accuracy radius in km (geoip-lite's `area`); 0 when the data has no coordinates. */
  radiusKm: number;
}

/** Looks an IP up; `null` when the data has no country (private ranges, some anycast and EU-wide blocks). */
export type GeoLookup = (ip: string) => Location | null;

/** geoip-lite behind a small bounded cache (busy IPs repeat). */
export function createGeoLookup(cacheSize = 50_000): GeoLookup {
  const cache = new Map<string, Location | null>();
  return (ip) => {
    const hit = cache.get(ip);
    if (hit !== undefined) return hit;
    const found = geoip.lookup(ip);
    const location: Location | null =
      found && found.country
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- older geoip-lite data has no area
        ? { country: found.country, lat: found.ll[0], lon: found.ll[1], radiusKm: found.area ?? 0 }
        : null;
    if (cache.size >= cacheSize) cache.clear();
    cache.set(ip, location);
    return location;
  };
}

const EARTH_RADIUS_KM = 6371;

/** Great-circle distance in km. */
export function distanceKm(a: Pick<Location, 'lat' | 'lon'>, b: Pick<Location, 'lat' | 'lon'>): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

// Land borders (and short, everyday crossings such as GB-IE, DK-SE, FI-EE), Europe and North
// America in full, the busiest pairs elsewhere. A static table is enough: borders rarely move, and
// a missing pair only means "not downgraded".
const BORDERS = `
AD:ES,FR AL:GR,ME,MK,XK AT:CH,CZ,DE,HU,IT,LI,SI,SK BA:HR,ME,RS BE:DE,FR,LU,NL BG:GR,MK,RO,RS,TR
BY:LT,LV,PL,RU,UA CH:AT,DE,FR,IT,LI CY:GR,TR CZ:AT,DE,PL,SK DE:AT,BE,CH,CZ,DK,FR,LU,NL,PL DK:DE,SE
EE:FI,LV,RU ES:AD,FR,GI,PT FI:EE,NO,RU,SE FR:AD,BE,CH,DE,ES,IT,LU,MC GB:IE GR:AL,BG,MK,TR HR:BA,HU,ME,RS,SI
HU:AT,HR,RO,RS,SI,SK,UA IE:GB IT:AT,CH,FR,SI,SM,VA LI:AT,CH LT:BY,LV,PL,RU LU:BE,DE,FR LV:BY,EE,LT,RU
MD:RO,UA ME:AL,BA,HR,RS,XK MK:AL,BG,GR,RS,XK MT:IT NL:BE,DE NO:FI,RU,SE PL:BY,CZ,DE,LT,RU,SK,UA
PT:ES RO:BG,HU,MD,RS,UA RS:BA,BG,HR,HU,ME,MK,RO,XK RU:BY,EE,FI,GE,KZ,LT,LV,MN,NO,PL,UA,CN
SE:DK,FI,NO SI:AT,HR,HU,IT SK:AT,CZ,HU,PL,UA TR:BG,GR,GE,SY,IQ,IR UA:BY,HU,MD,PL,RO,RU,SK
US:CA,MX CA:US MX:US,GT,BZ AR:BO,BR,CL,PY,UY BR:AR,BO,CO,GY,PE,PY,SR,UY,VE CL:AR,BO,PE CO:BR,EC,PA,PE,VE
CN:HK,MO,IN,KZ,MN,RU,VN,KP,NP,PK HK:CN MO:CN IN:BD,BT,CN,MM,NP,PK SG:MY,ID MY:SG,TH,ID TH:KH,LA,MM,MY
AE:OM,SA SA:AE,JO,KW,OM,QA,YE ZA:BW,LS,MZ,NA,SZ,ZW AU:NZ NZ:AU KR:JP JP:KR EG:IL,LY,SD IL:EG,JO,LB,SY
`;

const NEIGHBOURS: ReadonlyMap<string, ReadonlySet<string>> = (() => {
  const map = new Map<string, Set<string>>();
  const link = (a: string, b: string) => {
    if (!map.has(a)) map.set(a, new Set());
    map.get(a)?.add(b);
  };
  for (const entry of BORDERS.trim().split(/\s+/)) {
    const [country = '', list = ''] = entry.split(':');
    for (const other of list.split(',')) {
      link(country, other);
      link(other, country);
    }
  }
  return map;
})();

/** True when two countries share a border (or an everyday crossing), per a small static table. */
export function areNeighbours(a: string, b: string): boolean {
  return NEIGHBOURS.get(a)?.has(b) ?? false;
}
