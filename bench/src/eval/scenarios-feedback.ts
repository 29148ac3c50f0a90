import { DAY, HOUR, MINUTE } from '@keywatch/detector-worker';
import type { AuthEvent } from '@keywatch/contracts';
import { IPS, eventAt, fingerprint } from '@keywatch/detector-worker/testing';
import type { Scenario } from './scenario.js';

/**
 * Issue 20's scenarios: learning periods in time, `unfamiliar_client`, `threat_list_ip`, and the
 * people's feedback (suppression rules, trusted networks) the detector applies. Every key, tenant
 * and address here is the scenario's own.
 */

/** A platform threat list the evaluation's worker loads (DETECTOR_THREAT_LISTS). */
export const EVAL_THREAT_LIST = [
  '# evaluation threat list',
  '45.155.205.0/24',
  '2a0b:7280:100::/48',
  '193.32.162.7',
].join('\n');

const key = (name: string) => `key_eval_${name}`.padEnd(28, '0');
const tenant = (name: string) => `tenant_eval_${name}`;
const known = (name: string, extra: Partial<AuthEvent> = {}): Partial<AuthEvent> => ({
  key_id: key(name),
  tenant_id: tenant(name),
  key_type: 'secret',
  key_fingerprint: fingerprint(name.split('').reduce((a, c) => a * 31 + c.charCodeAt(0), 11) % 2 ** 40),
  ...extra,
});

/** `perDay` uses a day of `name` from `from` for `days` days, at working hours, with `extra` fields. */
function daily(name: string, from: number, days: number, perDay: number, extra: Partial<AuthEvent>): AuthEvent[] {
  const events: AuthEvent[] = [];
  for (let d = 0; d < days; d += 1)
    for (let i = 0; i < perDay; i += 1)
      events.push(eventAt(from + d * DAY + 9 * HOUR + Math.floor((i * 8 * HOUR) / perDay), known(name, extra)));
  return events;
}

export function feedbackScenarios(start: number, day7: number): Scenario[] {
  const s: Scenario[] = [];

  // Learning periods in time (geo_new_country judges a key only after 7 days of history).
  s.push({
    name: 'learning: a new key used from two neighbouring countries from its first day',
    label: 'benign',
    subject: key('twocountries'),
    events: [
      ...daily('twocountries', start, 8, 3, { ip: IPS.berlin }),
      ...daily('twocountries', start + 2 * HOUR, 8, 2, { ip: IPS.amsterdam }),
    ],
  });
  s.push({
    name: 'learning: a key whose first trip abroad comes on day 3',
    label: 'benign',
    subject: key('day3trip'),
    events: [
      ...daily('day3trip', start, 3, 20, { ip: IPS.berlin }),
      ...daily('day3trip', start + 3 * DAY, 1, 4, { ip: IPS.london }),
      ...daily('day3trip', start + 4 * DAY, 4, 20, { ip: IPS.berlin }),
    ],
  });
  s.push({
    name: 'learning: a busy key (hundreds of uses on day 1) goes abroad on day 2',
    label: 'benign',
    subject: key('busyday1'),
    events: [
      ...daily('busyday1', start, 1, 300, { ip: IPS.berlin }),
      ...daily('busyday1', start + DAY, 1, 5, { ip: IPS.strasbourg }),
    ],
  });
  s.push({
    name: 'learnt key used from a new country (after 7 days)',
    label: 'attack',
    expect: 'geo_new_country',
    subject: key('learntgeo'),
    attackStart: day7 + HOUR,
    events: [
      ...daily('learntgeo', start, 7, 4, { ip: IPS.berlin }),
      eventAt(day7 + HOUR, known('learntgeo', { ip: IPS.recife })),
    ],
  });

  // unfamiliar_client.
  const server = { user_agent: 'python-requests/2.31.0', ip: IPS.nuremberg };
  s.push({
    name: 'unfamiliar client: a server key suddenly called from curl',
    label: 'attack',
    expect: 'unfamiliar_client',
    subject: key('curl'),
    attackStart: day7,
    events: [
      ...daily('curl', start - DAY, 8, 6, server),
      eventAt(day7, known('curl', { ...server, user_agent: 'curl/8.5.0' })),
    ],
  });
  s.push({
    name: 'unfamiliar client: a server key called from a browser engine (no Origin)',
    label: 'attack',
    expect: 'unfamiliar_client',
    subject: key('chrome'),
    attackStart: day7,
    events: [
      ...daily('chrome', start - DAY, 8, 6, server),
      eventAt(
        day7,
        known('chrome', {
          ...server,
          user_agent:
            'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
        }),
      ),
    ],
  });
  s.push({
    name: 'unfamiliar client look-alike: the same SDK, a new version',
    label: 'benign',
    subject: key('sdkbump'),
    events: [
      ...daily('sdkbump', start - DAY, 8, 6, { ip: IPS.nuremberg, user_agent: 'acme-billing/2.3.1 node/20.11' }),
      ...daily('sdkbump', day7 - 9 * HOUR, 1, 6, { ip: IPS.nuremberg, user_agent: 'acme-billing/2.4.0 node/22.3' }),
    ],
  });
  s.push({
    name: 'unfamiliar client look-alike: an engineer used curl during the learning period, and again later',
    label: 'benign',
    subject: key('curlknown'),
    events: [
      ...daily('curlknown', start - DAY, 8, 6, server),
      eventAt(start + DAY + 3 * HOUR, known('curlknown', { ...server, user_agent: 'curl/8.4.0' })),
      eventAt(day7 + 30 * MINUTE, known('curlknown', { ...server, user_agent: 'curl/8.5.0' })),
    ],
  });
  s.push({
    name: 'unfamiliar client look-alike: a key in its first days tried from several tools',
    label: 'benign',
    subject: key('newtools'),
    events: [
      ...daily('newtools', day7 - 3 * DAY, 3, 4, server),
      eventAt(day7 - DAY + HOUR, known('newtools', { ...server, user_agent: 'curl/8.5.0' })),
      eventAt(day7 - DAY + 2 * HOUR, known('newtools', { ...server, user_agent: 'PostmanRuntime/7.39.0' })),
    ],
  });

  // threat_list_ip (the list in EVAL_THREAT_LIST).
  s.push({
    name: 'threat list: a key succeeds from a listed network',
    label: 'attack',
    expect: 'threat_list_ip',
    subject: key('listed'),
    attackStart: day7,
    events: [
      ...daily('listed', start - DAY, 8, 4, { ip: IPS.zurich }),
      eventAt(day7, known('listed', { ip: '45.155.205.33' })),
    ],
  });
  s.push({
    name: 'threat list: refused attempts from a listed address (no known key)',
    label: 'attack',
    expect: 'threat_list_ip',
    subject: '193.32.162.7',
    attackStart: day7,
    events: [0, 1, 2].map((i) =>
      eventAt(day7 + i * MINUTE, {
        key_id: null,
        tenant_id: null,
        key_type: 'secret',
        ip: '193.32.162.7',
        outcome: 'unknown_key',
        key_fingerprint: fingerprint(70_000 + i),
      }),
    ),
  });
  s.push({
    name: 'threat list look-alike: the address next to a listed network',
    label: 'benign',
    subject: key('nextdoor'),
    events: [
      ...daily('nextdoor', start - DAY, 8, 4, { ip: '45.155.206.1' }),
      eventAt(day7, known('nextdoor', { ip: '45.155.206.200' })),
    ],
  });

  // Feedback: a suppression rule and a trusted network (written to the store before the run).
  s.push({
    name: 'suppressed: a key dismissed as expected (client-side use of a test key)',
    label: 'benign',
    subject: key('suppressed'),
    feedback: {
      suppressions: [
        { tenant_id: tenant('suppressed'), type: 'secret_key_client_side', key_id: key('suppressed'), cidr: null },
      ],
    },
    events: [
      ...daily('suppressed', start - DAY, 8, 4, { ip: IPS.london }),
      eventAt(day7, known('suppressed', { ip: IPS.london, origin: 'https://staging.example' })),
    ],
  });
  s.push({
    name: 'not suppressed: the same pattern on a key no rule covers',
    label: 'attack',
    expect: 'secret_key_client_side',
    subject: key('notsuppressed'),
    attackStart: day7,
    feedback: {
      suppressions: [
        { tenant_id: tenant('notsuppressed'), type: 'secret_key_client_side', key_id: key('other'), cidr: null },
      ],
    },
    events: [
      ...daily('notsuppressed', start - DAY, 8, 4, { ip: IPS.london }),
      eventAt(day7, known('notsuppressed', { ip: IPS.london, origin: 'https://staging.example' })),
    ],
  });
  s.push({
    name: 'trusted network: the office VPN exit in another country',
    label: 'benign',
    subject: key('vpn'),
    feedback: {
      trusted: [{ tenant_id: tenant('vpn'), cidrs: [`${IPS.singapore.split('.').slice(0, 3).join('.')}.0/24`] }],
    },
    events: [
      ...daily('vpn', start - DAY, 8, 4, { ip: IPS.berlin }),
      eventAt(day7, known('vpn', { ip: IPS.singapore })),
    ],
  });
  return s;
}
