import type { AlertPayload } from '@keywatch/webhooks';

const ICON: Record<string, string> = {
  low: ':large_blue_circle:',
  medium: ':large_yellow_circle:',
  high: ':large_orange_circle:',
  critical: ':red_circle:',
};

/** Slack's mrkdwn escapes (`&`, `<`, `>`), so alert text cannot inject links or mentions. */
const escape = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/**
 * A Slack-compatible incoming-webhook body: `text` (the notification and fallback) and `blocks`
 * with the alert's fields. Consumers that need every field use `kind: "json"`.
 */
export function slackMessage(alert: AlertPayload): { text: string; blocks: unknown[] } {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- alert fields are JSON scalars; String() is the intended fallback
  const str = (v: unknown) => (v === null || v === undefined ? '—' : escape(String(v)));
  const text =
    `${ICON[alert.severity] ?? ''} [${alert.severity.toUpperCase()}] ${escape(alert.type)}: ${str(alert.summary)}`.trim();
  const fields = [
    // A tenantless alert (unknown keys, platform destinations only) says so rather than showing a dash.
    ['Tenant', alert.tenant_id ?? 'none (unknown keys)'],
    ['Key', alert.key_id],
    ['Source IP', alert.ip],
    ['Action', alert.action],
    ['Window', `${str(alert.window_start)} → ${str(alert.window_end)}`],
    ['Alert', alert.alert_id],
  ].map(([label, value]) => ({
    type: 'mrkdwn',
    text: `*${label as string}*\n${label === 'Window' ? String(value) : str(value)}`,
  }));
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'section', fields },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `Keywatch · detected ${str(alert.detected_at)} · evidence: \`${escape(JSON.stringify(alert.evidence ?? {})).slice(0, 1500)}\``,
          },
        ],
      },
    ],
  };
}
