import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it } from 'vitest';
import { startRedisCluster } from '../src/index.js';

const run = promisify(execFile);

async function clusterInfo(port: number): Promise<string> {
  const { stdout } = await run('redis-cli', [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    'cluster',
    'info',
  ]);
  return stdout;
}

describe('private Redis Cluster', () => {
  it('three masters share every slot, die on kill and come back whole on the same ports', async () => {
    const cluster = await startRedisCluster(3);
    try {
      assert.equal(cluster.nodes.length, 3);
      for (const node of cluster.nodes) {
        const info = await clusterInfo(node.port);
        assert.match(info, /cluster_state:ok/);
        assert.match(info, /cluster_known_nodes:3/);
        assert.match(info, /cluster_slots_assigned:16384/);
      }
      await cluster.kill();
      await assert.rejects(clusterInfo(cluster.nodes[0]?.port ?? 0));
      await cluster.start();
      assert.match(await clusterInfo(cluster.nodes[2]?.port ?? 0), /cluster_state:ok/);
    } finally {
      await cluster.dispose();
    }
  });
});
