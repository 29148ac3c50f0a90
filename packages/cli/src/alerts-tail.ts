import { randomBytes } from 'node:crypto';
import { Alert, decodeJson, formatIssues } from '@keywatch/contracts';
import type { createKafka } from '@keywatch/kafka';
import type { Logger } from '@keywatch/logger';

type Kafka = ReturnType<typeof createKafka>;

export interface AlertTailOptions {
  kafka: Kafka;
  /** The security-alerts topic, prefix included. */
  topic: string;
  /** Read the topic from its start instead of from now. */
  fromBeginning?: boolean;
  logger: Logger;
  /**
   * Each alert read, with its raw message text and whether this alert id was already shown (the
   * detector publishes an alert again when its severity rises).
   */
  onAlert(alert: Alert, raw: string, update: boolean): void;
  /** A message that is not a valid alert (default: logged as a warning). */
  onInvalid?(reason: string, raw: string): void;
}

export interface AlertTail {
  /** Resolves once the tail is a member of its group and positioned: alerts published after this are seen. */
  ready: Promise<void>;
  close(): Promise<void>;
}

const REMEMBERED_IDS = 10_000;

/**
 * Follows `security-alerts` in a consumer group of its own (`keywatch-alerts-tail-<random>`) that
 * commits nothing and is deleted on close, so it never disturbs the notifier's or anyone's offsets.
 * "From now" is the partitions' end offsets read before joining, sought to once assigned, so an
 * alert published while the group is forming is not skipped.
 */
export async function startAlertTail(options: AlertTailOptions): Promise<AlertTail> {
  const groupId = `keywatch-alerts-tail-${randomBytes(6).toString('hex')}`;
  const admin = options.kafka.admin();
  await admin.connect();
  if (!(await admin.listTopics()).includes(options.topic)) {
    await admin.disconnect();
    throw new Error(`topic ${options.topic} does not exist; create the topics with \`keywatch migrate\``);
  }
  const ends = options.fromBeginning ? [] : await admin.fetchTopicOffsets(options.topic);
  const consumer = options.kafka.consumer({
    groupId,
    maxWaitTimeInMs: 250,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
  });
  const seen = new Set<string>();
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  consumer.on(consumer.events.GROUP_JOIN, () => markReady());
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: options.fromBeginning === true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message }) => {
      const raw = message.value?.toString() ?? '';
      const decoded = decodeJson(Alert, message.value ?? null);
      if (!decoded.ok) {
        const reason = formatIssues(decoded.issues);
        if (options.onInvalid) options.onInvalid(reason, raw);
        else options.logger.warn({ reason }, 'a message on the alerts topic is not a valid alert');
        return;
      }
      const alert = decoded.value;
      const update = seen.has(alert.alert_id);
      if (!update) {
        seen.add(alert.alert_id);
        if (seen.size > REMEMBERED_IDS) seen.delete(seen.values().next().value!);
      }
      options.onAlert(alert, raw, update);
    },
  });
  for (const { partition, offset } of ends) consumer.seek({ topic: options.topic, partition, offset });

  let closed: Promise<void> | undefined;
  return {
    ready,
    close() {
      closed ??= (async () => {
        await consumer.disconnect().catch(() => undefined);
        // It committed nothing; deleting the empty group just keeps the broker's group list tidy.
        await admin.deleteGroups([groupId]).catch(() => undefined);
        await admin.disconnect().catch(() => undefined);
      })();
      return closed;
    },
  };
}
