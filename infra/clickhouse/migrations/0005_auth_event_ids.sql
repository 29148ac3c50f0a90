-- auth_event_ids: the dedup index of the ingest worker (issue 5, "effectively once").
--
-- auth_events is a ReplacingMergeTree, so copies of an event collapse only when parts merge, and
-- a materialized view sees every inserted copy: rollups fed by views would count a redelivered
-- event twice. The worker therefore removes duplicates *before* it inserts: for each batch it asks
-- this table which of the batch's event_ids are already stored and inserts only the others. The
-- view below fills the table from the same INSERT (into auth_events_ingest) that fills auth_events
-- and the rollups, so "the id is here" and "the event is counted" become true together.
--
-- * ORDER BY event_id: the lookup is `event_id IN (batch ids)` and reads only the granules that can
--   hold them (UUIDv7/ULID ids are time-ordered, so a batch's ids sit in a few granules).
-- * PARTITION BY day of ts, as auth_events: the lookup also bounds ts by the batch's range (a copy
--   of an event carries the same ts), and the retention job drops the tables' days together.
-- * ReplacingMergeTree: backfills and races may store an id twice; only existence matters.
CREATE TABLE IF NOT EXISTS ${database}.auth_event_ids
(
    event_id String,
    ts       DateTime('UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY event_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.auth_event_ids_mv TO ${database}.auth_event_ids AS
SELECT event_id, ts FROM ${database}.auth_events_ingest;

-- Rows stored before this migration (the first slice) join the index, so replaying them stays a no-op.
-- Rows that arrive during this statement land here twice, which the engine absorbs.
INSERT INTO ${database}.auth_event_ids SELECT event_id, ts FROM ${database}.auth_events;
