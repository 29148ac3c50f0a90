import { describe, expect, it } from 'vitest';
import { resolveStackSettings } from '../settings.js';
import { kraftClusterNode, remoteServers } from './nodes.js';
import { clusterEnv, resolveClusterSettings } from './settings.js';

const single = resolveStackSettings({}, '/repo');

describe('the cluster profile', () => {
  it('takes its own ports from KEYWATCH_CLUSTER_BASE_PORT, apart from the single stack', () => {
    const c = resolveClusterSettings({ KEYWATCH_CLUSTER_BASE_PORT: '30000' }, single);
    expect(c.kafka.map((b) => b.port)).toEqual([32092, 32093, 32094]);
    expect(c.redis.map((n) => n.port)).toEqual([30001, 30002, 30003, 30004, 30005, 30006]);
    expect(c.clickhouse.map((n) => [n.httpPort, n.tcpPort])).toEqual([
      [31123, 32000],
      [31124, 32001],
    ]);
    expect(c.dir).toBe(`${single.stackDir}/cluster`);
    expect(() => resolveClusterSettings({ KEYWATCH_CLUSTER_BASE_PORT: '80' }, single)).toThrow(
      /KEYWATCH_CLUSTER_BASE_PORT/,
    );
  });

  it('prints the environment services take unchanged', () => {
    const env = clusterEnv(resolveClusterSettings({}, single));
    expect(env).toMatchObject({
      KAFKA_BROKERS: '127.0.0.1:29092,127.0.0.1:29093,127.0.0.1:29094',
      REDIS_URL: 'redis://127.0.0.1:27001/?cluster=true',
      CLICKHOUSE_URL: 'http://127.0.0.1:28123',
      KEYWATCH_CLICKHOUSE_CLUSTER: 'keywatch',
      KEYWATCH_CLICKHOUSE_SHARD_URLS: 'http://127.0.0.1:28123,http://127.0.0.1:28124',
    });
  });

  it('configures each broker for replication factor 3 and min.insync.replicas 2, all three as voters', () => {
    const c = resolveClusterSettings({}, single);
    const props = kraftClusterNode(c, 2, '/data');
    expect(props).toContain('node.id=2');
    expect(props).toContain('controller.quorum.voters=1@127.0.0.1:29192,2@127.0.0.1:29193,3@127.0.0.1:29194');
    expect(props).toContain('default.replication.factor=3');
    expect(props).toContain('min.insync.replicas=2');
    expect(props).toContain('unclean.leader.election.enable=false');
    expect(props).toContain('listeners=PLAINTEXT://127.0.0.1:29093,CONTROLLER://127.0.0.1:29193');
  });

  it('declares both ClickHouse shards in remote_servers', () => {
    const xml = remoteServers(resolveClusterSettings({}, single));
    expect(xml).toContain('<keywatch>');
    expect(xml.match(/<shard>/g)).toHaveLength(2);
    expect(xml).toContain('<port>29001</port>');
  });
});
