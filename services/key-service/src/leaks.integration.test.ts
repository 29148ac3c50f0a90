import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClickHouse } from '@keywatch/clickhouse';
import { generateKey, type Alert } from '@keywatch/contracts';
import { collectMessages, describe, expect, test } from '@keywatch/testkit';
import { startTestKeyService } from './testing.js';

type Entry = {
  action: string;
  actor: string;
  reason: string | null;
  key_id: string | null;
  details: Record<string, unknown>;
};
type Feedback = Array<{ token_raw: string; token_type: string; label: string }>;

/** A scanning key pair like GitHub's, and the key file in GitHub's published shape. */
function githubKeys(): { file: string; keyId: string; privateKey: KeyObject; other: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const keyId = 'bcb53661c06b4728e59d897fb6165d5c9cda0fd9cdf9d09ead458168deb7518c';
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-github-keys-'));
  const file = path.join(dir, 'secret_scanning.json');
  const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
  writeFileSync(
    file,
    JSON.stringify({
      public_keys: [
        { key_identifier: 'old-key', key: pem(other.publicKey), is_current: false },
        { key_identifier: keyId, key: pem(publicKey), is_current: true },
      ],
    }),
  );
  return { file, keyId, privateKey, other: other.privateKey };
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    value = await read();
  }
  return value;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

async function start(fixtures: Parameters<typeof startTestKeyService>[0]) {
  const keys = githubKeys();
  const ks = await startTestKeyService(fixtures, { KEYWATCH_GITHUB_SCANNING_KEYS_FILE: keys.file });
  /** POSTs a report signed exactly as GitHub signs: ECDSA P-256 / SHA-256 over the raw body, DER, base64. */
  async function report(
    body: string | Buffer,
    options: { keyId?: string; signature?: string; signWith?: KeyObject; headers?: Record<string, string> } = {},
  ) {
    const signature =
      options.signature ?? sign('sha256', Buffer.from(body), options.signWith ?? keys.privateKey).toString('base64');
    const response = await fetch(new URL('/v1/leaks/github', ks.url), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'github-public-key-identifier': options.keyId ?? keys.keyId,
        'github-public-key-signature': signature,
        ...options.headers,
      },
      body,
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as unknown };
  }
  const matches = (tokens: string[]) =>
    JSON.stringify(
      tokens.map((token) => ({
        token,
        type: 'keywatch_secret_key',
        url: 'https://github.com/o/r/blob/abc/app.env',
        source: 'content',
      })),
    );
  const state = async (id: string) =>
    (await ks.call<{ key: { state: string } }>('GET', `/v1/keys/${id}`, ks.rootKey)).body.key.state;
  const audit = async (tenant: string) =>
    (await ks.call<{ entries: Entry[] }>('GET', `/v1/audit?tenant_id=${tenant}`, ks.rootKey)).body.entries;
  return { ks, keys, report, matches, state, audit };
}

describe('leak reports', () => {
  test('a GitHub report of a live secret key raises key_leaked on the topic and in the feed, and revokes it within seconds', async ({
    kafka,
    redis,
    clickhouse,
    logger,
  }) => {
    const { ks, report, matches, state, audit } = await start({ kafka, redis, clickhouse, logger });
    const ch = createClickHouse({ url: clickhouse.url, database: clickhouse.database, logger });
    try {
      const key = await ks.createKey({
        tenant_id: 'tenant_leak',
        type: 'secret',
        environment: 'live',
        name: 'billing',
      });
      // The key's last successful request, as the ingest worker would have written it.
      await ch.insert('auth_events', [
        {
          event_id: 'e1',
          ts: '2026-12-01 10:00:00',
          tenant_id: 'tenant_leak',
          key_id: key.id,
          outcome: 'allowed',
          ip: '198.51.100.7',
        },
        {
          event_id: 'e2',
          ts: '2026-12-01 09:00:00',
          tenant_id: 'tenant_leak',
          key_id: key.id,
          outcome: 'allowed',
          ip: '192.0.2.1',
        },
      ]);
      const posted = Date.now();
      const answer = await report(matches([key.secret]));
      const answered = Date.now() - posted;
      expect(answer).toEqual({
        status: 200,
        body: [{ token_raw: key.secret, token_type: 'keywatch_secret_key', label: 'true_positive' }],
      });
      expect(
        await waitFor(
          () => state(key.id),
          (s) => s === 'revoked',
        ),
      ).toBe('revoked');
      const revokedAfter = Date.now() - posted;

      const alerts = await collectMessages<Alert>(kafka.kafka, kafka.topics.securityAlerts, (m) => m.length >= 1);
      expect(alerts).toHaveLength(1);
      const alert = alerts[0]!.value!;
      expect(alert).toMatchObject({
        type: 'key_leaked',
        severity: 'critical',
        tenant_id: 'tenant_leak',
        key_id: key.id,
        action: 'revoke_requested',
        dedup_key: `key_leaked:${key.id}`,
        evidence: {
          source: 'content',
          url: 'https://github.com/o/r/blob/abc/app.env',
          reporter: 'github:secret-scanning',
          last_ip: '198.51.100.7',
        },
      });
      expect(alert.evidence).toHaveProperty('last_used_at');
      expect(JSON.stringify(alert)).not.toContain(key.secret);
      const rows = await ch.query<{ alert_id: string; type: string }>(`SELECT alert_id, type FROM security_alerts`);
      expect(rows).toEqual([{ alert_id: alert.alert_id, type: 'key_leaked' }]);

      const entries = await audit('tenant_leak');
      const leak = entries.find((e) => e.action === 'leak_reported');
      expect(leak).toMatchObject({ key_id: key.id, actor: 'github:secret-scanning' });
      expect(leak?.details).toMatchObject({ alert_id: alert.alert_id, source: 'content' });
      expect(entries.find((e) => e.action === 'revoked')).toMatchObject({
        key_id: key.id,
        actor: `leaks:${alert.alert_id}`,
      });

      // More reports, one key each, for a median of the report → revoked latency.
      const latencies = [revokedAfter];
      for (let i = 0; i < 5; i += 1) {
        const next = await ks.createKey({
          tenant_id: 'tenant_leak',
          type: 'secret',
          environment: 'live',
          name: `k${i}`,
        });
        const t0 = Date.now();
        expect((await report(matches([next.secret]))).status).toBe(200);
        await waitFor(
          () => state(next.id),
          (s) => s === 'revoked',
        );
        latencies.push(Date.now() - t0);
        expect(await state(next.id)).toBe('revoked');
      }
      process.stdout.write(
        `leak report → key revoked: median ${median(latencies)} ms over ${latencies.length} reports (${latencies.join(', ')} ms); first answer in ${answered} ms\n`,
      );
    } finally {
      await ch.close();
      await ks.close();
    }
  });

  test('the leak policy decides: suspend, notify only, and publishable keys only notified by default', async ({
    kafka,
    redis,
    clickhouse,
    logger,
  }) => {
    const { ks, report, matches, state, audit } = await start({ kafka, redis, clickhouse, logger });
    try {
      expect(
        (await ks.call('PUT', '/v1/leaks/policy', ks.rootKey, { tenant_id: 'tenant_s', secret: 'suspend' })).status,
      ).toBe(200);
      expect(
        (await ks.call('PUT', '/v1/leaks/policy', ks.rootKey, { tenant_id: 'tenant_n', secret: 'notify_only' })).status,
      ).toBe(200);
      const suspended = await ks.createKey({ tenant_id: 'tenant_s', type: 'secret', environment: 'live', name: 's' });
      const notified = await ks.createKey({ tenant_id: 'tenant_n', type: 'secret', environment: 'dev', name: 'n' });
      const publishable = await ks.createKey({
        tenant_id: 'tenant_p',
        type: 'publishable',
        environment: 'live',
        name: 'p',
      });
      const answer = await report(matches([suspended.secret, notified.secret, publishable.secret]));
      expect((answer.body as Feedback).map((f) => f.label)).toEqual([
        'true_positive',
        'true_positive',
        'true_positive',
      ]);
      expect(
        await waitFor(
          () => state(suspended.id),
          (s) => s === 'suspended',
        ),
      ).toBe('suspended');
      const refusals = await waitFor(
        async () =>
          [...(await audit('tenant_n')), ...(await audit('tenant_p'))].filter((e) => e.action === 'trigger_refused'),
        (e) => e.length >= 2,
      );
      expect(refusals.map((e) => e.reason).sort()).toEqual([
        'tenant leak policy for publishable keys is notify_only',
        'tenant leak policy for secret keys is notify_only',
      ]);
      expect(await state(notified.id)).toBe('active');
      expect(await state(publishable.id)).toBe('active');
      // Every one of them is still an alert.
      const alerts = await collectMessages<Alert>(kafka.kafka, kafka.topics.securityAlerts, (m) => m.length >= 3);
      expect(alerts.map((m) => m.value?.key_id).sort()).toEqual([suspended.id, notified.id, publishable.id].sort());
      expect((await ks.call('GET', '/v1/leaks/policy?tenant_id=tenant_p', ks.rootKey)).body).toEqual({
        policy: { tenant_id: 'tenant_p', secret: 'revoke', publishable: 'notify_only' },
      });
    } finally {
      await ks.close();
    }
  });

  test('the same token reported twice, even at once, is one alert and one action', async ({
    kafka,
    redis,
    clickhouse,
    logger,
  }) => {
    const { ks, report, matches, state, audit } = await start({ kafka, redis, clickhouse, logger });
    try {
      const key = await ks.createKey({ tenant_id: 'tenant_twice', type: 'secret', environment: 'dev', name: 'k' });
      const body = matches([key.secret, key.secret]);
      const [a, b] = await Promise.all([report(body), report(body)]);
      expect(a.status).toBe(200);
      expect(b.status).toBe(200);
      await waitFor(
        () => state(key.id),
        (s) => s === 'revoked',
      );
      const again = await report(matches([key.secret]));
      expect((again.body as Feedback)[0]?.label).toBe('false_positive'); // revoked now: no longer a live key
      const byId = await ks.call<{ leak_id: string; label: string }>('POST', '/v1/leaks', ks.rootKey, {
        key_id: key.id,
        source: 'pastebin',
      });
      expect(byId.body.label).toBe('false_positive');
      // Give a second alert or trigger every chance to appear.
      await new Promise((r) => setTimeout(r, 1500));
      const alerts = await collectMessages<Alert>(kafka.kafka, kafka.topics.securityAlerts, () => false, 3000);
      expect(alerts).toHaveLength(1);
      const triggers = await collectMessages(kafka.kafka, kafka.topics.keyRevocationTriggers, () => false, 2000);
      expect(triggers).toHaveLength(1);
      const entries = (await audit('tenant_twice')).filter((e) => e.key_id === key.id);
      expect(entries.filter((e) => e.action === 'leak_reported')).toHaveLength(1);
      expect(entries.filter((e) => e.action === 'revoked')).toHaveLength(1);
      expect(entries.filter((e) => e.action === 'leak_reported_again').length).toBeGreaterThanOrEqual(1);
    } finally {
      await ks.close();
    }
  });

  test('1 000 mixed tokens are labelled right in one answer', async ({ kafka, redis, clickhouse, logger }) => {
    const { ks, report, matches } = await start({ kafka, redis, clickhouse, logger });
    try {
      await ks.call('PUT', '/v1/leaks/policy', ks.rootKey, { tenant_id: 'tenant_bulk', secret: 'notify_only' });
      const live: string[] = [];
      const revoked: string[] = [];
      for (let i = 0; i < 100; i += 1) {
        live.push(
          (await ks.createKey({ tenant_id: 'tenant_bulk', type: 'secret', environment: 'live', name: `l${i}` })).secret,
        );
      }
      for (let i = 0; i < 50; i += 1) {
        const k = await ks.createKey({ tenant_id: 'tenant_bulk', type: 'secret', environment: 'dev', name: `r${i}` });
        await ks.call('POST', `/v1/keys/${k.id}/revoke`, ks.rootKey, {});
        revoked.push(k.secret);
      }
      const unknown = Array.from({ length: 250 }, () => generateKey({ type: 'secret', environment: 'live' }));
      const malformed = live.slice(0, 100).map((t) => `${t.slice(0, -1)}${t.endsWith('A') ? 'B' : 'A'}`);
      const foreign = Array.from({ length: 500 }, (_, i) =>
        i % 2 === 0 ? `ghp_${String(i).padStart(36, '0')}` : `AKIA${String(i).padStart(16, 'X')}`,
      );
      const tokens = [...live, ...revoked, ...unknown, ...malformed, ...foreign];
      // Shuffled deterministically so labels cannot line up by position.
      const order = tokens
        .map((t, i) => ({ t, k: (i * 7919) % tokens.length }))
        .sort((x, y) => x.k - y.k)
        .map((x) => x.t);
      expect(order).toHaveLength(1000);
      const started = Date.now();
      const answer = await report(matches(order));
      const took = Date.now() - started;
      expect(answer.status).toBe(200);
      const feedback = answer.body as Feedback;
      expect(feedback.map((f) => f.token_raw)).toEqual(order);
      const liveSet = new Set(live);
      expect(feedback.map((f) => f.label)).toEqual(
        order.map((t) => (liveSet.has(t) ? 'true_positive' : 'false_positive')),
      );
      process.stdout.write(
        `1 000-token GitHub report (100 live, 50 revoked, 250 unknown, 100 bad checksum, 500 other vendors'): answered in ${took} ms\n`,
      );
      const alerts = await collectMessages<Alert>(kafka.kafka, kafka.topics.securityAlerts, (m) => m.length >= 100);
      expect(new Set(alerts.map((m) => m.value?.key_id)).size).toBe(100);
    } finally {
      await ks.close();
    }
  });

  test('POST /v1/leaks takes a token or a key id from the tenant or root, and reveals nothing about other tenants', async ({
    kafka,
    redis,
    clickhouse,
    logger,
  }) => {
    const { ks, state } = await start({ kafka, redis, clickhouse, logger });
    try {
      const admin = await ks.createKey({
        tenant_id: 'tenant_a',
        type: 'secret',
        environment: 'live',
        name: 'admin',
        scopes: ['keys:manage'],
      });
      const mine = await ks.createKey({ tenant_id: 'tenant_a', type: 'secret', environment: 'dev', name: 'mine' });
      const theirs = await ks.createKey({ tenant_id: 'tenant_b', type: 'secret', environment: 'dev', name: 'theirs' });
      const byId = await ks.call<{ leak_id: string; key_id: string; label: string }>(
        'POST',
        '/v1/leaks',
        admin.secret,
        {
          key_id: mine.id,
          source: 'support ticket',
          note: 'pasted by a customer',
        },
      );
      expect(byId.status).toBe(202);
      expect(byId.body).toMatchObject({ key_id: mine.id, label: 'true_positive' });
      expect(byId.body.leak_id).toMatch(/^leak_/);
      await waitFor(
        () => state(mine.id),
        (s) => s === 'revoked',
      );
      expect(await state(mine.id)).toBe('revoked');

      expect((await ks.call('POST', '/v1/leaks', admin.secret, { key_id: theirs.id, source: 'x' })).status).toBe(404);
      const foreignToken = await ks.call('POST', '/v1/leaks', admin.secret, { token: theirs.secret, source: 'x' });
      expect(foreignToken.status).toBe(202);
      expect(foreignToken.body).toMatchObject({ key_id: null, label: 'false_positive' });
      expect(await state(theirs.id)).toBe('active');

      const byRoot = await ks.call('POST', '/v1/leaks', ks.rootKey, {
        token: theirs.secret,
        source: 'scanner',
        url: 'https://paste.example/1',
      });
      expect(byRoot.body).toMatchObject({ key_id: theirs.id, label: 'true_positive' });

      const neither = await ks.call<{ error: { field: string } }>('POST', '/v1/leaks', ks.rootKey, { source: 'x' });
      expect(neither.status).toBe(400);
      expect(neither.body.error.field).toBe('token');
      expect((await ks.call('POST', '/v1/leaks', null, { token: theirs.secret, source: 'x' })).status).toBe(401);
    } finally {
      await ks.close();
    }
  });
});
