import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  aptInstall,
  clickhousePing,
  fillTemplate,
  kafkaVersion,
  onPath,
  redisPing,
  run,
  type Progress,
} from '../engines.js';
import { managed, runningPid, startDetached, tcpOpen, waitFor, type ManagedProcess } from '../processes.js';
import type { ClusterSettings } from './settings.js';

/** One server process of the cluster profile. */
export interface ClusterNode {
  engine: 'kafka' | 'redis' | 'clickhouse';
  /** e.g. `kafka-2`, `redis-27004`, `clickhouse-shard-1`. */
  name: string;
  /** host:port clients use. */
  address: string;
  port: number;
  process: ManagedProcess;
  healthy(): Promise<boolean>;
  start(progress: Progress): Promise<void>;
}

// ---------------------------------------------------------------- Kafka: 3 KRaft nodes, each broker and controller

/** server.properties of node `id` of a 3-node KRaft cluster: replication factor 3, min.insync.replicas 2. */
export function kraftClusterNode(c: ClusterSettings, id: number, dataDir: string): string {
  const self = c.kafka.find((b) => b.id === id);
  if (!self) throw new Error(`no Kafka node ${id}`);
  return [
    'process.roles=broker,controller',
    `node.id=${id}`,
    `controller.quorum.voters=${c.kafka.map((b) => `${b.id}@${c.host}:${b.controllerPort}`).join(',')}`,
    `listeners=PLAINTEXT://${c.host}:${self.port},CONTROLLER://${c.host}:${self.controllerPort}`,
    `advertised.listeners=PLAINTEXT://${c.host}:${self.port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${dataDir}`,
    // Durability: an acks=all write is on 2 of 3 replicas before it is answered; one broker may die.
    'default.replication.factor=3',
    'min.insync.replicas=2',
    'offsets.topic.replication.factor=3',
    'transaction.state.log.replication.factor=3',
    'transaction.state.log.min.isr=2',
    'share.coordinator.state.topic.replication.factor=3',
    'share.coordinator.state.topic.min.isr=2',
    // Never elect an out-of-sync replica: that would lose acknowledged writes.
    'unclean.leader.election.enable=false',
    'group.initial.rebalance.delay.ms=0',
    'num.partitions=3',
    'auto.create.topics.enable=false',
    '',
  ].join('\n');
}

function java(): string {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

async function kafkaLibs(c: ClusterSettings, progress: Progress): Promise<string> {
  const pom = path.join(c.repoRoot, 'infra/local/kafka/pom.xml');
  const version = kafkaVersion(pom);
  const libs = path.join(c.cacheDir, `kafka-${version}`, 'libs');
  const stamp = path.join(libs, '.complete');
  if (!existsSync(stamp)) {
    await run(
      'mvn',
      ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${libs}`],
      progress,
      `fetching Kafka ${version} jars from Maven Central`,
    );
    writeFileSync(stamp, `${version}\n`);
  }
  return libs;
}

/** The KRaft cluster id every node of this profile is formatted with (made once, kept in the data dir). */
function clusterId(c: ClusterSettings): string {
  const file = path.join(c.dir, 'kafka-cluster-id');
  if (!existsSync(file)) {
    mkdirSync(c.dir, { recursive: true });
    writeFileSync(file, `${randomBytes(16).toString('base64url')}\n`);
  }
  return readFileSync(file, 'utf8').trim();
}

export function kafkaNodes(c: ClusterSettings): ClusterNode[] {
  return c.kafka.map((b) => {
    const name = `kafka-${b.id}`;
    const proc = managed(c.dir, name);
    const dir = path.join(c.dir, name);
    const properties = path.join(dir, 'server.properties');
    let logOffset = 0;
    const node: ClusterNode = {
      engine: 'kafka',
      name,
      address: `${c.host}:${b.port}`,
      port: b.port,
      process: proc,
      async healthy() {
        if (!(await tcpOpen(c.host, b.port))) return false;
        if (runningPid(proc) === undefined) return true;
        return (
          existsSync(proc.logFile) &&
          readFileSync(proc.logFile).subarray(logOffset).toString().includes('Kafka Server started')
        );
      },
      async start(progress) {
        const libs = await kafkaLibs(c, progress);
        const dataDir = path.join(dir, 'data');
        mkdirSync(dataDir, { recursive: true });
        writeFileSync(
          properties,
          `# Written by keywatch stack up --profile cluster.\n${kraftClusterNode(c, b.id, dataDir)}`,
        );
        const jvm = [
          '-Xms128m',
          `-Xmx${c.kafkaHeapMb}m`,
          '-XX:+UseSerialGC',
          '-XX:TieredStopAtLevel=1',
          '-Djava.awt.headless=true',
          `-Dlog4j2.configurationFile=${path.join(c.repoRoot, 'infra/local/kafka/log4j2.properties')}`,
          '-cp',
          `${libs}/*`,
        ];
        if (!existsSync(path.join(dataDir, 'meta.properties'))) {
          await run(
            java(),
            [...jvm, 'kafka.tools.StorageTool', 'format', '--ignore-formatted', '-t', clusterId(c), '-c', properties],
            progress,
            `formatting ${name}'s data dir`,
          );
        }
        progress(`starting ${name} on ${c.host}:${b.port}`);
        logOffset = existsSync(proc.logFile) ? statSync(proc.logFile).size : 0;
        startDetached(proc, java(), [...jvm, 'kafka.Kafka', properties], properties);
        await waitFor(name, () => node.healthy(), 120_000, proc.logFile);
      },
    };
    return node;
  });
}

// ---------------------------------------------------------------- Redis Cluster: 6 nodes (3 masters + 3 replicas)

export function redisNodes(c: ClusterSettings): ClusterNode[] {
  return c.redis.map(({ port }) => {
    const name = `redis-${port}`;
    const proc = managed(c.dir, name);
    const dir = path.join(c.dir, name);
    const node: ClusterNode = {
      engine: 'redis',
      name,
      address: `${c.host}:${port}`,
      port,
      process: proc,
      healthy: () => redisPing(c.host, port),
      async start(progress) {
        if (!onPath('redis-server')) await aptInstall(['redis-server'], progress);
        mkdirSync(dir, { recursive: true });
        progress(`starting ${name} (cluster mode, AOF on)`);
        startDetached(
          proc,
          'redis-server',
          [
            '--bind',
            c.host,
            '--port',
            String(port),
            '--dir',
            dir,
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            path.join(dir, 'nodes.conf'),
            '--cluster-node-timeout',
            String(c.redisNodeTimeoutMs),
            '--appendonly',
            'yes',
            '--save',
            '',
            '--maxmemory-policy',
            'noeviction',
          ],
          `redis-server ${c.host}:${port}`,
        );
        await waitFor(name, () => node.healthy(), 10_000, proc.logFile);
      },
    };
    return node;
  });
}

// ---------------------------------------------------------------- ClickHouse: 2 shards behind Distributed tables

/** The `<remote_servers>` block naming both shards (no replicas: 18.16 without ZooKeeper has none). */
export function remoteServers(c: ClusterSettings): string {
  const shards = c.clickhouse
    .map((n) => `            <shard><replica><host>${c.host}</host><port>${n.tcpPort}</port></replica></shard>`)
    .join('\n');
  return [
    '    <remote_servers>',
    `        <${c.clickhouseCluster}>`,
    shards,
    `        </${c.clickhouseCluster}>`,
    '    </remote_servers>',
  ].join('\n');
}

export function clickhouseNodes(c: ClusterSettings): ClusterNode[] {
  return c.clickhouse.map((n) => {
    const name = `clickhouse-shard-${n.shard}`;
    const proc = managed(c.dir, name);
    const dir = path.join(c.dir, name);
    const configFile = path.join(dir, 'config', 'config.xml');
    const url = `http://${c.host}:${n.httpPort}`;
    const node: ClusterNode = {
      engine: 'clickhouse',
      name,
      address: url,
      port: n.httpPort,
      process: proc,
      healthy: () => clickhousePing(url),
      async start(progress) {
        if (!onPath('clickhouse-server')) await aptInstall(['clickhouse-server', 'clickhouse-client'], progress);
        const templates = path.join(c.repoRoot, 'infra/local/clickhouse');
        const values = {
          LOG_DIR: path.join(dir, 'logs'),
          DATA_DIR: path.join(dir, 'data'),
          CONFIG_DIR: path.dirname(configFile),
          LISTEN_HOST: c.host,
          HTTP_PORT: n.httpPort,
          TCP_PORT: n.tcpPort,
        };
        mkdirSync(values.CONFIG_DIR, { recursive: true });
        mkdirSync(values.DATA_DIR, { recursive: true });
        const config = fillTemplate(readFileSync(path.join(templates, 'config.xml'), 'utf8'), values).replace(
          '</yandex>',
          `${remoteServers(c)}\n</yandex>`,
        );
        writeFileSync(configFile, config);
        // Inserts into a Distributed table answer only once every shard has its rows: the ingest
        // worker commits Kafka offsets after a durable insert, so a shard down must fail the insert
        // (it is retried, and deduplicated by event id) rather than queue it on this node's disk.
        const users = fillTemplate(readFileSync(path.join(templates, 'users.xml'), 'utf8'), values).replace(
          /<profiles>\s*<default>/,
          (open) => `${open}\n            <insert_distributed_sync>1</insert_distributed_sync>`,
        );
        if (!users.includes('insert_distributed_sync')) throw new Error('users.xml template has no default profile');
        writeFileSync(path.join(values.CONFIG_DIR, 'users.xml'), users);
        progress(`starting ${name} on ${url}`);
        startDetached(proc, 'clickhouse-server', [`--config-file=${configFile}`], configFile);
        await waitFor(name, () => node.healthy(), 30_000, proc.logFile);
      },
    };
    return node;
  });
}
