import { FEATURES, versionAtLeast, type ServerVersion } from '@keywatch/clickhouse';

/**
 * ClickHouse's Kafka table engine reading the auth-event topic into `kafka_target` through one
 * materialized view (the ingest bench's peer), written for the server at hand.
 *
 * - 18.16 (Debian's build links librdkafka 2.0.2, which speaks Kafka 4.1's protocol fine) needs two
 *   workarounds, both seen in its server log: the engine leaves librdkafka's `auto.offset.reset` at
 *   `largest`, so a new group never sees messages produced before it joined — the caller commits
 *   the group's offsets at the start of the topic first (`offsetsAtStart`); and its JSONEachRow
 *   refuses unknown fields and nested objects (`rate_limit`) with no table setting to skip them, so
 *   each message is read whole as one TabSeparated `String` and the view extracts the fields with
 *   `visitParamExtract*`.
 * - Current servers (20.1+) use the engine's own features: a new group starts at the earliest
 *   offset, and the table reads JSONEachRow with `input_format_skip_unknown_fields` (a format
 *   setting the Kafka engine takes since 20.x), typed columns, RFC 3339 times parsed by
 *   `date_time_input_format = 'best_effort'`.
 */
export interface KafkaEnginePeer {
  /** Which path: `legacy` (18.16 workarounds) or `modern` (the engine's own features). */
  variant: 'legacy' | 'modern';
  /** Commit the group's offsets at the start of the topic before creating the source table. */
  offsetsAtStart: boolean;
  /** Statements in order: target table, Kafka source, view (the view starts consumption). */
  target: string;
  source: string;
  view: string;
}

/** The target table: the columns the peer extracts, keyed as auth_events. */
const TARGET = `CREATE TABLE kafka_target (event_id String, ts DateTime('UTC'), tenant_id String, key_id String, outcome String, status UInt16, latency_ms Float64, ip String, route String)
  ENGINE = MergeTree PARTITION BY toYYYYMMDD(ts) ORDER BY (tenant_id, key_id, ts, event_id)`;

const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function kafkaEnginePeer(
  server: Pick<ServerVersion, 'major' | 'minor'>,
  o: { brokers: readonly string[]; topic: string; groupId: string },
): KafkaEnginePeer {
  const brokers = quote(o.brokers.join(','));
  if (!versionAtLeast(server, FEATURES.dateTime64)) {
    return {
      variant: 'legacy',
      offsetsAtStart: true,
      target: TARGET,
      source: `CREATE TABLE kafka_source (line String) ENGINE = Kafka(${brokers}, ${quote(o.topic)}, ${quote(o.groupId)}, 'TabSeparated', '\\n')`,
      view: `CREATE MATERIALIZED VIEW kafka_mv TO kafka_target AS
      SELECT visitParamExtractString(line, 'event_id') AS event_id, parseDateTimeBestEffort(visitParamExtractString(line, 'ts')) AS ts,
             visitParamExtractString(line, 'tenant_id') AS tenant_id, visitParamExtractString(line, 'key_id') AS key_id,
             visitParamExtractString(line, 'outcome') AS outcome, toUInt16(visitParamExtractUInt(line, 'status')) AS status,
             visitParamExtractFloat(line, 'latency_ms') AS latency_ms, visitParamExtractString(line, 'ip') AS ip, visitParamExtractString(line, 'route') AS route
      FROM kafka_source`,
    };
  }
  return {
    variant: 'modern',
    offsetsAtStart: false,
    target: TARGET,
    source: `CREATE TABLE kafka_source (event_id String, ts DateTime64(3, 'UTC'), tenant_id Nullable(String), key_id Nullable(String), outcome String, status UInt16, latency_ms Float64, ip String, route String)
      ENGINE = Kafka SETTINGS kafka_broker_list = ${brokers}, kafka_topic_list = ${quote(o.topic)}, kafka_group_name = ${quote(o.groupId)},
        kafka_format = 'JSONEachRow', input_format_skip_unknown_fields = 1, date_time_input_format = 'best_effort'`,
    view: `CREATE MATERIALIZED VIEW kafka_mv TO kafka_target AS
      SELECT event_id, toDateTime(ts, 'UTC') AS ts, ifNull(tenant_id, '') AS tenant_id, ifNull(key_id, '') AS key_id,
             outcome, status, latency_ms, ip, route
      FROM kafka_source`,
  };
}
