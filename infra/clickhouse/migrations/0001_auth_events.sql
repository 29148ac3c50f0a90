-- auth_events: one row per auth event (the auth event of docs/contracts.md), written by the ingest worker.
-- The first text of this file cited a document outside the repo; databases that applied it are current:
-- valid-checksum: be5220bf6a75bb94e6c75fb11d2ac5f787c6b2b7c4cb28b72d6e1f0d3f99e23e
-- Works on ClickHouse 18.16 (Debian) and on current releases. Choices:
--
-- * ReplacingMergeTree: a redelivered or replayed event has the same event_id and so the same sort
--   key; its copies collapse into one row when parts merge. Until then, exact counts read with FINAL
--   (or count uniqExact(event_id)). The version column ingested_at keeps the latest copy.
-- * ORDER BY (tenant_id, key_id, ts, event_id): analytics ask per tenant and key over a time range.
--   18.16 refuses Nullable columns in the sort key, so the contract's null tenant_id and key_id, and
--   likewise its other optional strings, are stored as ''. That is unambiguous: the contract requires
--   them non-empty when present (for user_agent and origin, an empty header and none read the same).
--   rate_limit is flattened into three Nullable columns: NULL means the event carried no limit state.
-- * ts DateTime('UTC') plus ts_ms: DateTime64 only came in 20.1. The column's time zone makes text
--   such as '2024-01-02 03:04:05' mean UTC whatever the server's own zone is.
-- * PARTITION BY toYYYYMMDD(ts): a replay of an old day touches only that day's parts, and retention
--   can drop whole days.
-- * ingested_at is MATERIALIZED now(), not DEFAULT now(): 18.16 fills a column left out of a
--   JSONEachRow insert with its type's zero, not with its DEFAULT expression.
-- * String, not Enum, for outcome, key_type and environment: a value added to the contract would
--   otherwise fail whole insert batches until a migration ran; LowCardinality needs 19.3.
-- * ip is String: the IPv4 and IPv6 types came in 19.3.
CREATE TABLE IF NOT EXISTS ${database}.auth_events
(
    v                    UInt8,
    event_id             String,
    ts                   DateTime('UTC'),
    ts_ms                UInt16,
    gateway_id           String,
    request_id           String,
    tenant_id            String,
    key_id               String,
    key_type             String,
    environment          String,
    key_fingerprint      String,
    outcome              String,
    scope                String,
    method               String,
    route                String,
    status               UInt16,
    latency_ms           Float64,
    ip                   String,
    user_agent           String,
    origin               String,
    rate_limit_limit     Nullable(UInt32),
    rate_limit_remaining Nullable(UInt32),
    rate_limit_window_s  Nullable(UInt32),
    ingested_at          DateTime('UTC') MATERIALIZED now()
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMMDD(ts)
ORDER BY (tenant_id, key_id, ts, event_id);
