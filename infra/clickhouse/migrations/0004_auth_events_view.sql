-- requires: 20.1
-- auth_events_ingest → auth_events, for servers from 20.1 on, which convert a view's block to its
-- TO table's columns and compute MATERIALIZED ones (ingested_at) themselves. 0003 is the same view
-- for older servers. Unverified here (no container runtime on the build machine): it follows the
-- view behaviour ClickHouse has had since 20.1 (PR #8788, missing target columns get defaults).
CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.auth_events_mv TO ${database}.auth_events AS
SELECT v, event_id, ts, ts_ms, gateway_id, request_id, tenant_id, key_id, key_type, environment, key_fingerprint,
       outcome, scope, method, route, status, latency_ms, ip, user_agent, origin,
       rate_limit_limit, rate_limit_remaining, rate_limit_window_s
FROM ${database}.auth_events_ingest;
