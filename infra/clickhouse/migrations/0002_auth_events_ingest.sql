-- The ingest worker's insert target (issue 5): one INSERT into auth_events_ingest feeds, through
-- materialized views, auth_events (0001, unchanged: same columns for every existing reader; views
-- in 0003/0004), the enrichment of each event, the dedup index (0005) and the rollups (0006). All of them are written
-- by that one statement, so an event is either counted everywhere or, if the INSERT fails, retried
-- as a whole (and then deduplicated, see 0005).
--
-- * ENGINE = Null: the rows themselves are not kept here; the views keep what each table needs.
-- * auth_events_enrichment: geography of the client address (geoip-lite) and a user-agent class.
--   country/region/city are '' without an entry (private ranges, unknown); lat, lon and area
--   (the accuracy radius in km) are NULL then; IPv6 gives country and coordinates only. ua_class:
--   browser, bot, cli, sdk, other, or '' without a user agent. Keyed like auth_events, so the two
--   join on (tenant_id, key_id, ts, event_id) cheaply.
CREATE TABLE IF NOT EXISTS ${database}.auth_events_ingest
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
    country              String,
    region               String,
    city                 String,
    lat                  Nullable(Float32),
    lon                  Nullable(Float32),
    area                 Nullable(UInt16),
    ua_class             String
)
ENGINE = Null;

CREATE TABLE IF NOT EXISTS ${database}.auth_events_enrichment
(
    event_id  String,
    ts        DateTime('UTC'),
    tenant_id String,
    key_id    String,
    ip        String,
    country   String,
    region    String,
    city      String,
    lat       Nullable(Float32),
    lon       Nullable(Float32),
    area      Nullable(UInt16),
    ua_class  String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (tenant_id, key_id, ts, event_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.auth_events_enrichment_mv TO ${database}.auth_events_enrichment AS
SELECT event_id, ts, tenant_id, key_id, ip, country, region, city, lat, lon, area, ua_class
FROM ${database}.auth_events_ingest;
