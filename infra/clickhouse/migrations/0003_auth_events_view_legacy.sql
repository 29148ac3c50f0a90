-- requires: < 20.1
-- auth_events_ingest → auth_events, for servers before 20.1 (Debian's 18.16). These push a view's
-- block to its TO table as is and require every column of it, MATERIALIZED ones included
-- (ClickHouse issue #3484: "Expected column ingested_at: while pushing to view"), so the view
-- supplies ingested_at itself, with the value the column's expression would give. 0004 is the
-- same view for newer servers, which fill MATERIALIZED columns of a view's target themselves.
CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.auth_events_mv TO ${database}.auth_events AS
SELECT v, event_id, ts, ts_ms, gateway_id, request_id, tenant_id, key_id, key_type, environment, key_fingerprint,
       outcome, scope, method, route, status, latency_ms, ip, user_agent, origin,
       rate_limit_limit, rate_limit_remaining, rate_limit_window_s,
       now() AS ingested_at
FROM ${database}.auth_events_ingest;
