-- requires: 19.6
-- Default retention as TTL, on servers that have it (19.6+): raw events, their enrichment and
-- the dedup index 30 days, minute rollups 90 days, hour rollups 2 years, day rollups 5 years. On older servers
-- (Debian's 18.16) this file is skipped and the ingest worker's retention job drops whole day or
-- month partitions instead; it runs on every server, so INGEST_RETENTION_* settings shorter than
-- these defaults apply everywhere (see services/ingest-worker/src/retention.ts).
ALTER TABLE ${database}.auth_events MODIFY TTL ts + INTERVAL 30 DAY;
ALTER TABLE ${database}.auth_event_ids MODIFY TTL ts + INTERVAL 30 DAY;
ALTER TABLE ${database}.auth_events_enrichment MODIFY TTL ts + INTERVAL 30 DAY;
ALTER TABLE ${database}.auth_rollup_1m MODIFY TTL bucket + INTERVAL 90 DAY;
ALTER TABLE ${database}.auth_rollup_1h MODIFY TTL bucket + INTERVAL 730 DAY;
ALTER TABLE ${database}.auth_rollup_1d MODIFY TTL bucket + INTERVAL 1825 DAY;
