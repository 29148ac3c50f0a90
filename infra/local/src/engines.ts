import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { managed, runningPid, startDetached, tcpOpen, waitFor, type ManagedProcess } from './processes.js';
import type { StackSettings } from './settings.js';

/** Progress lines for people watching a long start (Maven download, apt install). */
export type Progress = (line: string) => void;

/** One engine of the local stack: how to tell it answers, and how to start it when it does not. */
export interface Engine {
  name: 'kafka' | 'clickhouse' | 'redis';
  address: string;
  process: ManagedProcess;
  healthy(): Promise<boolean>;
  start(progress: Progress): Promise<void>;
}

export function fillTemplate(template: string, values: Record<string, string | number>): string {
  return template.replace(/\$\{([A-Z_]+)\}/g, (whole, name: string) => String(values[name] ?? whole));
}

export function onPath(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}

/** Runs a set-up step without blocking the event loop (other engines' health checks keep running). */
export function run(command: string, args: string[], progress: Progress, what: string): Promise<void> {
  progress(`${what}: ${command} ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (error) => reject(new Error(`${what} failed: ${error.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(`${what} failed (exit ${code ?? signal}):\n${output.trim().split('\n').slice(-20).join('\n')}`),
        );
    });
  });
}

let aptQueue: Promise<void> = Promise.resolve();
let aptUpdated = false;

/**
 * Installs Debian packages, one apt run at a time (engines start concurrently and dpkg has one
 * lock), updating the package lists once per process.
 */
export function aptInstall(packages: string[], progress: Progress): Promise<void> {
  const step = aptQueue.then(async () => {
    if (process.getuid?.() !== 0) {
      throw new Error(
        `${packages.join(', ')} not installed; run: sudo apt-get update && sudo apt-get install -y ${packages.join(' ')}`,
      );
    }
    if (!aptUpdated) {
      await run('apt-get', ['update', '-q'], progress, 'updating the Debian package lists');
      aptUpdated = true;
    }
    await run(
      'apt-get',
      ['install', '-y', '-q', ...packages],
      progress,
      `installing ${packages.join(', ')} from Debian`,
    );
  });
  aptQueue = step.catch(() => undefined);
  return step;
}

// ---------------------------------------------------------------- Kafka (KRaft, jars from Maven Central)

/** The server.properties of one KRaft node acting as broker and controller (the stack's and the tests' private brokers). */
export function kraftSingleNode(o: { host: string; port: number; controllerPort: number; dataDir: string }): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${o.host}:${o.controllerPort}`,
    `listeners=PLAINTEXT://${o.host}:${o.port},CONTROLLER://${o.host}:${o.controllerPort}`,
    `advertised.listeners=PLAINTEXT://${o.host}:${o.port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${o.dataDir}`,
    // One node: internal topics must not ask for three replicas (KafkaJS would see no coordinator).
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'num.partitions=3',
    'auto.create.topics.enable=false',
    '',
  ].join('\n');
}

export function kafkaVersion(pom: string): string {
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(pom, 'utf8'))?.[1];
  if (!version) throw new Error(`no <kafka.version> in ${pom}`);
  return version;
}

export function kafkaEngine(s: StackSettings): Engine {
  const proc = managed(s.stackDir, 'kafka');
  const pom = path.join(s.repoRoot, 'infra/local/kafka/pom.xml');
  const version = kafkaVersion(pom);
  const libs = path.join(s.cacheDir, `kafka-${version}`, 'libs');
  const dir = path.join(s.stackDir, 'kafka');
  const properties = path.join(dir, 'server.properties');
  let logOffset = 0;
  return {
    name: 'kafka',
    address: `${s.kafka.host}:${s.kafka.port}`,
    process: proc,
    async healthy() {
      if (!(await tcpOpen(s.kafka.host, s.kafka.port))) return false;
      // Our own broker accepts connections a moment before it serves metadata; its log says when
      // (only the part written since this start: the log file is appended across restarts).
      if (runningPid(proc) === undefined) return true;
      return (
        existsSync(proc.logFile) &&
        readFileSync(proc.logFile).subarray(logOffset).toString().includes('Kafka Server started')
      );
    },
    async start(progress) {
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
      const dataDir = path.join(dir, 'data');
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(
        properties,
        `# Written by keywatch stack up.\n${kraftSingleNode({ host: s.kafka.host, port: s.kafka.port, controllerPort: s.kafka.controllerPort, dataDir })}`,
      );
      const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
      const jvm = [
        `-Xms256m`,
        `-Xmx${s.kafka.heapMb}m`,
        '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${path.join(s.repoRoot, 'infra/local/kafka/log4j2.properties')}`,
        '-cp',
        `${libs}/*`,
      ];
      if (!existsSync(path.join(dataDir, 'meta.properties'))) {
        // A KRaft cluster id is 16 random bytes in base64url; formatting happens once per data dir.
        const clusterId = randomBytes(16).toString('base64url');
        await run(
          java,
          [...jvm, 'kafka.tools.StorageTool', 'format', '--ignore-formatted', '-t', clusterId, '-c', properties],
          progress,
          'formatting the Kafka data dir',
        );
      }
      progress(`starting Kafka ${version} on ${s.kafka.host}:${s.kafka.port}`);
      logOffset = existsSync(proc.logFile) ? statSync(proc.logFile).size : 0;
      startDetached(proc, java, [...jvm, 'kafka.Kafka', properties], properties);
      await waitFor('Kafka', () => this.healthy(), 60_000, proc.logFile);
    },
  };
}

// ---------------------------------------------------------------- ClickHouse (Debian package)

/** Whether the ClickHouse HTTP listener at `url` answers `/ping` within a second (any engine, any node). */
export async function clickhousePing(url: string): Promise<boolean> {
  try {
    return (await fetch(new URL('/ping', url), { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

export function clickhouseEngine(s: StackSettings): Engine {
  const proc = managed(s.stackDir, 'clickhouse');
  const dir = path.join(s.stackDir, 'clickhouse');
  const configFile = path.join(dir, 'config', 'config.xml');
  return {
    name: 'clickhouse',
    address: s.clickhouse.url,
    process: proc,
    healthy: () => clickhousePing(s.clickhouse.url),
    async start(progress) {
      if (!onPath('clickhouse-server')) await aptInstall(['clickhouse-server', 'clickhouse-client'], progress);
      const templates = path.join(s.repoRoot, 'infra/local/clickhouse');
      const values = {
        LOG_DIR: path.join(s.stackDir, 'logs'),
        DATA_DIR: path.join(dir, 'data'),
        CONFIG_DIR: path.dirname(configFile),
        LISTEN_HOST: net.isIPv6(s.clickhouse.host) ? s.clickhouse.host : '127.0.0.1',
        HTTP_PORT: s.clickhouse.httpPort,
        TCP_PORT: s.clickhouse.tcpPort,
      };
      mkdirSync(values.CONFIG_DIR, { recursive: true });
      mkdirSync(values.DATA_DIR, { recursive: true });
      for (const file of ['config.xml', 'users.xml']) {
        writeFileSync(
          path.join(values.CONFIG_DIR, file),
          fillTemplate(readFileSync(path.join(templates, file), 'utf8'), values),
        );
      }
      progress(`starting ClickHouse on ${s.clickhouse.url}`);
      startDetached(proc, 'clickhouse-server', [`--config-file=${configFile}`], configFile);
      await waitFor('ClickHouse', () => this.healthy(), 30_000, proc.logFile);
    },
  };
}

// ---------------------------------------------------------------- Redis (the one answering, else redis-server)

export function redisPing(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
    socket.once('error', () => done(false));
  });
}

export function redisEngine(s: StackSettings): Engine {
  const proc = managed(s.stackDir, 'redis');
  const dir = path.join(s.stackDir, 'redis');
  return {
    name: 'redis',
    address: s.redis.url,
    process: proc,
    healthy: () => redisPing(s.redis.host, s.redis.port),
    async start(progress) {
      if (!onPath('redis-server')) await aptInstall(['redis-server'], progress);
      mkdirSync(dir, { recursive: true });
      progress(`starting redis-server on ${s.redis.host}:${s.redis.port} (AOF on)`);
      // redis-server rewrites its process title to "redis-server host:port", so that is the marker.
      startDetached(
        proc,
        'redis-server',
        [
          '--bind',
          s.redis.host,
          '--port',
          String(s.redis.port),
          '--dir',
          dir,
          '--appendonly',
          'yes',
          '--save',
          '',
          '--maxmemory-policy',
          'noeviction',
        ],
        'redis-server',
      );
      await waitFor('Redis', () => this.healthy(), 10_000, proc.logFile);
    },
  };
}
