-- Rollups of auth_events per minute, hour and day (issue 5), maintained by materialized views.
--
-- One wide table per granularity, keyed by every dimension the analytics API groups by: outcome
-- and status (errors, error classes, rate_limited), scope/method/route (features), country,
-- region and city (geography). Per key and bucket that is a few dozen rows at most (a key uses few
-- routes from few places), far fewer than its events, and each query groups by what it needs.
--
-- Exactness: views count every row inserted into auth_events_ingest, so the rollups are exact
-- only because the ingest worker never inserts an event_id twice (see 0005_auth_event_ids.sql and
-- services/ingest-worker/src/dedup.ts). Rows that auth_events held before this migration are not
-- in the rollups (nor is their geography).
--
-- * AggregatingMergeTree with countState (requests) and quantilesTDigestState(0.5, 0.95) (latency,
--   mergeable across buckets and dimensions); read with countMerge / quantilesTDigestMerge.
-- * bucket DateTime('UTC') for all three (toStartOfDay of a UTC DateTime is UTC midnight).
-- * Partitions: minute by day (retention drops days; 90 by default), hour and day by month.
-- * errors are requests with status >= 400; error classes are status intdiv 100.

CREATE TABLE IF NOT EXISTS ${database}.auth_rollup_1m
(
    tenant_id String,
    key_id    String,
    bucket    DateTime('UTC'),
    outcome   String,
    status    UInt16,
    scope     String,
    method    String,
    route     String,
    country   String,
    region    String,
    city      String,
    requests  AggregateFunction(count),
    latency   AggregateFunction(quantilesTDigest(0.5, 0.95), Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMMDD(bucket)
ORDER BY (tenant_id, key_id, bucket, outcome, status, scope, method, route, country, region, city);

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.auth_rollup_1m_mv TO ${database}.auth_rollup_1m AS
SELECT
    tenant_id, key_id, toStartOfMinute(ts) AS bucket, outcome, status, scope, method, route, country, region, city,
    countState() AS requests,
    quantilesTDigestState(0.5, 0.95)(latency_ms) AS latency
FROM ${database}.auth_events_ingest
GROUP BY tenant_id, key_id, bucket, outcome, status, scope, method, route, country, region, city;

CREATE TABLE IF NOT EXISTS ${database}.auth_rollup_1h
(
    tenant_id String,
    key_id    String,
    bucket    DateTime('UTC'),
    outcome   String,
    status    UInt16,
    scope     String,
    method    String,
    route     String,
    country   String,
    region    String,
    city      String,
    requests  AggregateFunction(count),
    latency   AggregateFunction(quantilesTDigest(0.5, 0.95), Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (tenant_id, key_id, bucket, outcome, status, scope, method, route, country, region, city);

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.auth_rollup_1h_mv TO ${database}.auth_rollup_1h AS
SELECT
    tenant_id, key_id, toStartOfHour(ts) AS bucket, outcome, status, scope, method, route, country, region, city,
    countState() AS requests,
    quantilesTDigestState(0.5, 0.95)(latency_ms) AS latency
FROM ${database}.auth_events_ingest
GROUP BY tenant_id, key_id, bucket, outcome, status, scope, method, route, country, region, city;

CREATE TABLE IF NOT EXISTS ${database}.auth_rollup_1d
(
    tenant_id String,
    key_id    String,
    bucket    DateTime('UTC'),
    outcome   String,
    status    UInt16,
    scope     String,
    method    String,
    route     String,
    country   String,
    region    String,
    city      String,
    requests  AggregateFunction(count),
    latency   AggregateFunction(quantilesTDigest(0.5, 0.95), Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (tenant_id, key_id, bucket, outcome, status, scope, method, route, country, region, city);

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.auth_rollup_1d_mv TO ${database}.auth_rollup_1d AS
SELECT
    tenant_id, key_id, toStartOfDay(ts) AS bucket, outcome, status, scope, method, route, country, region, city,
    countState() AS requests,
    quantilesTDigestState(0.5, 0.95)(latency_ms) AS latency
FROM ${database}.auth_events_ingest
GROUP BY tenant_id, key_id, bucket, outcome, status, scope, method, route, country, region, city;
