export { resolveClusterSettings, clusterEnv, type ClusterSettings } from './settings.js';
export {
  clusterUp,
  clusterDown,
  clusterStatus,
  clusterEnvLines,
  clusterNodes,
  killNode,
  stopNode,
  type NodeStatus,
} from './stack.js';
export { kraftClusterNode, remoteServers, type ClusterNode } from './nodes.js';
