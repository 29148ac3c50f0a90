import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Progress } from '../engines.js';
import { runningPid, stopProcess, waitFor } from '../processes.js';
import { clickhouseNodes, kafkaNodes, redisNodes, type ClusterNode } from './nodes.js';
import { clusterEnv, type ClusterSettings } from './settings.js';

const execFileAsync = promisify(execFile);

/** One node of the cluster profile, as `keywatch stack status --profile cluster` prints it. */
export interface NodeStatus {
  engine: ClusterNode['engine'];
  name: string;
  address: string;
  state: 'started' | 'running' | 'down';
  /** Redis: `master` or `replica` as the node itself reports; ClickHouse: `shard N`; Kafka: `broker+controller`. */
  role: string;
  pid?: number;
  logFile: string;
}

export function clusterNodes(c: ClusterSettings): ClusterNode[] {
  return [...redisNodes(c), ...clickhouseNodes(c), ...kafkaNodes(c)];
}

async function redisCli(c: ClusterSettings, port: number, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('redis-cli', ['-h', c.host, '-p', String(port), ...args], { timeout: 30_000 });
  return stdout;
}

function field(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

async function roleOf(c: ClusterSettings, node: ClusterNode, healthy: boolean): Promise<string> {
  if (node.engine === 'kafka') return 'broker+controller';
  if (node.engine === 'clickhouse') return `shard ${node.name.split('-').pop()}`;
  if (!healthy) return 'unknown';
  const role = field(await redisCli(c, node.port, 'INFO', 'replication').catch(() => ''), 'role');
  return role === 'slave' ? 'replica' : (role ?? 'unknown');
}

async function statusOf(c: ClusterSettings, node: ClusterNode): Promise<NodeStatus> {
  const pid = runningPid(node.process);
  const healthy = await node.healthy();
  return {
    engine: node.engine,
    name: node.name,
    address: node.address,
    state: healthy ? 'running' : 'down',
    role: await roleOf(c, node, healthy),
    ...(pid === undefined ? {} : { pid }),
    logFile: node.process.logFile,
  };
}

/**
 * Joins the six Redis nodes into a cluster of 3 masters with a replica each, once (nodes.conf
 * keeps it across restarts), then waits until every node sees all 16384 slots served.
 */
async function formRedisCluster(c: ClusterSettings, progress: Progress): Promise<void> {
  const first = c.redis[0]?.port ?? 0;
  const known = Number(field(await redisCli(c, first, 'CLUSTER', 'INFO'), 'cluster_known_nodes') ?? 0);
  if (known < c.redis.length) {
    progress(`creating the Redis Cluster (${c.redis.length / 2} masters, 1 replica each)`);
    await execFileAsync(
      'redis-cli',
      ['--cluster', 'create', ...c.redis.map((n) => `${c.host}:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'],
      { timeout: 60_000 },
    );
  }
  await waitFor(
    'the Redis Cluster (cluster_state:ok on every node)',
    async () => {
      for (const n of c.redis) {
        const info = await redisCli(c, n.port, 'CLUSTER', 'INFO').catch(() => '');
        if (field(info, 'cluster_state') !== 'ok' || field(info, 'cluster_slots_assigned') !== '16384') return false;
      }
      return true;
    },
    30_000,
  );
}

/**
 * Starts every node that does not answer (all concurrently: the Kafka voters need each other to
 * elect a controller), then forms the Redis Cluster. Idempotent.
 */
export async function clusterUp(c: ClusterSettings, progress: Progress): Promise<NodeStatus[]> {
  const nodes = clusterNodes(c);
  const started = new Set<string>();
  await Promise.all(
    nodes.map(async (node) => {
      if (await node.healthy()) return;
      if (runningPid(node.process) !== undefined) await stopProcess(node.process);
      await node.start(progress);
      started.add(node.name);
    }),
  );
  await formRedisCluster(c, progress);
  const statuses = await Promise.all(nodes.map((node) => statusOf(c, node)));
  return statuses.map((s) => (started.has(s.name) ? { ...s, state: 'started' } : s));
}

/** Stops every node of the cluster profile (never the single stack's engines). */
export async function clusterDown(c: ClusterSettings, progress: Progress): Promise<NodeStatus[]> {
  const nodes = clusterNodes(c).reverse();
  await Promise.all(
    nodes.map(async (node) => {
      if (await stopProcess(node.process)) progress(`stopped ${node.name}`);
    }),
  );
  return Promise.all(nodes.reverse().map((node) => statusOf(c, node)));
}

export function clusterStatus(c: ClusterSettings): Promise<NodeStatus[]> {
  return Promise.all(clusterNodes(c).map((node) => statusOf(c, node)));
}

/** `export NAME=value` lines for a shell (`eval "$(keywatch stack env --profile cluster)"`). */
export function clusterEnvLines(c: ClusterSettings): string[] {
  return Object.entries(clusterEnv(c)).map(([name, value]) => `export ${name}=${shellQuote(value)}`);
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]*$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

/** SIGKILLs one node (a crash, for failure tests); resolves once its process is gone. */
export async function killNode(node: ClusterNode): Promise<void> {
  const pid = runningPid(node.process);
  if (pid === undefined) throw new Error(`${node.name} is not running`);
  process.kill(pid, 'SIGKILL');
  await waitFor(`${node.name} to exit`, async () => runningPid(node.process) === undefined, 10_000);
}

/** Stops one node gracefully (SIGTERM), for outage tests; `node.start` brings it back. */
export async function stopNode(node: ClusterNode): Promise<void> {
  await stopProcess(node.process);
}
