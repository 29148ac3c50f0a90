import { ConfigError, parseConfig } from '@keywatch/config';
import { topicNames } from '@keywatch/contracts';
import { createKafka, createProducer } from '@keywatch/kafka';
import { createLogger } from '@keywatch/logger';
import { simConfig } from './config.js';
import { produceSyntheticEvents } from './kafka-mode.js';
import { createKeyServiceClient } from './keys-client.js';
import { ATTACKS, runHttpSimulation, sequentialSchedule, type Attack } from './traffic.js';

async function main(): Promise<void> {
  const config = parseConfig(simConfig, process.env);
  const logger = createLogger({ name: 'traffic-sim', level: config.LOG_LEVEL });
  if (config.SIM_MODE === 'kafka') {
    const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'keywatch-traffic-sim', logger });
    const producer = await createProducer(kafka);
    try {
      const result = await produceSyntheticEvents({
        producer,
        topic: topicNames(config.KEYWATCH_TOPIC_PREFIX).authEvents,
        rate: config.SIM_RATE,
        count: config.SIM_EVENTS,
        backfillMs: config.SIM_BACKFILL,
        seed: config.SIM_SEED,
      });
      process.stdout.write(
        `sent ${result.sent} auth events in ${result.seconds.toFixed(1)} s (${result.rate.toFixed(0)}/s)\n`,
      );
    } finally {
      await producer.close();
    }
    return;
  }
  if (!config.KEYWATCH_ROOT_KEY)
    throw new ConfigError([
      { variable: 'KEYWATCH_ROOT_KEY', reason: 'required in http mode (run `keywatch keys bootstrap`)' },
    ]);
  const unknown = config.SIM_ATTACKS.filter((a) => !(ATTACKS as readonly string[]).includes(a));
  if (unknown.length > 0) throw new Error(`unknown attack(s) ${unknown.join(', ')}; known: ${ATTACKS.join(', ')}`);
  const report = await runHttpSimulation({
    gatewayUrl: config.SIM_GATEWAY_URL,
    keys: createKeyServiceClient(config.KEYWATCH_KEY_SERVICE_URL, config.KEYWATCH_ROOT_KEY),
    logger,
    environment: config.SIM_ENVIRONMENT,
    tenants: config.SIM_TENANTS,
    keysPerTenant: config.SIM_KEYS_PER_TENANT,
    rps: config.SIM_RATE,
    durationMs: config.SIM_DURATION,
    dayLengthMs: config.SIM_DAY_LENGTH,
    attacks: config.SIM_ATTACKS as Attack[],
    schedule: config.SIM_SEQUENTIAL
      ? sequentialSchedule(
          config.SIM_ATTACKS as Attack[],
          config.SIM_DURATION,
          Math.min(20_000, Math.round(config.SIM_DURATION * 0.15)),
        )
      : undefined,
    onPhase: (attack, on) => logger.info({ attack, on }, on ? 'attack on' : 'attack off'),
    seed: config.SIM_SEED,
  });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`traffic-sim: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
