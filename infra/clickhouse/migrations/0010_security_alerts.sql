-- security_alerts: one row per version of an alert (the alert of docs/contracts.md), written by the detector
-- worker; alert_status: the people's side of an alert (acknowledged, resolved), written by the
-- analytics API; alerts_feed: both joined, what the alert feed reads. Works on 18.16 and current
-- releases. Choices:
--
-- * ReplacingMergeTree(version) ORDER BY (tenant_id, alert_id): a repeat of a problem, a redelivered
--   batch or a replay writes the same alert_id again with a newer version; merges keep the latest.
--   Exact reads use FINAL (or argMax by version). tenant_id leads the key because the feed is per
--   tenant; it never changes for an alert, so all versions share one sort key. '' means no tenant
--   (18.16 refuses Nullable columns in the sort key), likewise '' for key_id and ip.
-- * Status lives in its own table so that the detector's updates (count, evidence) never overwrite
--   a person's acknowledgement: no row there means open.
-- * evidence is the JSON text of the contract's object; window_*, detected_at are DateTime('UTC')
--   (seconds; the exact RFC 3339 values are in the alert message).
-- * The view's joined subqueries carry aliases: current servers refuse them without (code 206,
--   ALIAS_REQUIRED). The first text of this file had none; databases that applied it keep that view.
-- valid-checksum: 7487d8064d18fe700559637e0685463ac79d79b61c82ea4d600ba8aed2e6295b
CREATE TABLE IF NOT EXISTS ${database}.security_alerts
(
    alert_id     String,
    type         String,
    severity     String,
    tenant_id    String,
    key_id       String,
    ip           String,
    window_start DateTime('UTC'),
    window_end   DateTime('UTC'),
    detected_at  DateTime('UTC'),
    updated_at   DateTime('UTC'),
    summary      String,
    evidence     String,
    dedup_key    String,
    action       String,
    count        UInt32,
    version      UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(detected_at)
ORDER BY (tenant_id, alert_id);

CREATE TABLE IF NOT EXISTS ${database}.alert_status
(
    alert_id   String,
    tenant_id  String,
    status     String,
    actor      String,
    note       String,
    updated_at DateTime('UTC'),
    version    UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant_id, alert_id);

CREATE VIEW IF NOT EXISTS ${database}.alerts_feed AS
SELECT
    alert_id, type, severity, tenant_id, key_id, ip, window_start, window_end, detected_at, updated_at,
    summary, evidence, dedup_key, action, count,
    if(status = '', 'open', status) AS status
FROM
(
    SELECT
        alert_id,
        argMax(type, version) AS type,
        argMax(severity, version) AS severity,
        tenant_id,
        argMax(key_id, version) AS key_id,
        argMax(ip, version) AS ip,
        min(window_start) AS window_start,
        max(window_end) AS window_end,
        min(detected_at) AS detected_at,
        max(updated_at) AS updated_at,
        argMax(summary, version) AS summary,
        argMax(evidence, version) AS evidence,
        argMax(dedup_key, version) AS dedup_key,
        argMax(action, version) AS action,
        max(count) AS count
    FROM ${database}.security_alerts
    GROUP BY tenant_id, alert_id
) AS alerts
ANY LEFT JOIN
(
    SELECT tenant_id, alert_id, argMax(status, version) AS status
    FROM ${database}.alert_status
    GROUP BY tenant_id, alert_id
) AS statuses USING (tenant_id, alert_id);
