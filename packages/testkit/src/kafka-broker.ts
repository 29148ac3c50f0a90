/**
 * A PRIVATE single-node Kafka (KRaft, broker + controller) for tests that kill and restart the
 * broker: the same cached jars as `keywatch stack up` (`~/.cache/keywatch/kafka-<version>/libs`),
 * its own ports and data directory, never the shared broker on 9092.
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kraftSingleNode } from '@keywatch/local-stack';
import { repoRoot } from './engines.js';
import { freePort } from './free-port.js';

/** Where `keywatch stack up` keeps the Kafka jars (fetched once from Maven Central). */
export const KAFKA_LIBS = path.join(os.homedir(), '.cache/keywatch/kafka-4.1.1/libs');

export interface PrivateKafka {
  brokers: string[];
  /** SIGKILL: no controlled shutdown. Resolves once the JVM is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same ports and data; resolves once it logged "Kafka Server started". */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Formats a data directory and starts the broker; resolves once it serves. */
export async function startPrivateKafka(options: { heapMb?: number } = {}): Promise<PrivateKafka> {
  if (!existsSync(KAFKA_LIBS)) throw new Error(`no Kafka jars at ${KAFKA_LIBS}: run ./bin/keywatch stack up once`);
  const [port, controllerPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kw-kafka-'));
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir);
  const properties = path.join(dir, 'server.properties');
  writeFileSync(
    properties,
    // A throwaway broker: 3 offsets partitions instead of Kafka's default 50.
    `${kraftSingleNode({ host: '127.0.0.1', port, controllerPort, dataDir })}offsets.topic.num.partitions=3\n`,
  );
  const jvm = [
    '-Xms128m',
    `-Xmx${options.heapMb ?? 384}m`,
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${path.join(repoRoot, 'infra/local/kafka/log4j2.properties')}`,
    '-cp',
    `${KAFKA_LIBS}/*`,
  ];
  const format = spawnSync(
    'java',
    [...jvm, 'kafka.tools.StorageTool', 'format', '-t', randomBytes(16).toString('base64url'), '-c', properties],
    { encoding: 'utf8' },
  );
  if (format.status !== 0)
    throw new Error(`formatting the private Kafka data dir failed: ${format.stderr || format.stdout}`);
  const logFile = path.join(dir, 'kafka.log');
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const start = async () => {
    const before = existsSync(logFile) ? readFileSync(logFile, 'utf8').length : 0;
    const proc = spawn('java', [...jvm, 'kafka.Kafka', properties], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    const append = (chunk: Buffer) => writeFileSync(logFile, chunk, { flag: 'a' });
    proc.stdout.on('data', append);
    proc.stderr.on('data', append);
    const deadline = Date.now() + 90_000;
    for (;;) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(before) : '';
      if (log.includes('Kafka Server started')) return;
      if (proc.exitCode !== null) throw new Error(`private Kafka exited with ${proc.exitCode}: ${log.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`private Kafka did not start within 90 s: ${log.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const kill = async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    brokers: [`127.0.0.1:${port}`],
    kill,
    start,
    async close() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
