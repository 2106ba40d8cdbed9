import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, LOOPBACK, type ManagedProcess, manageProcess } from './process.js';

const run = promisify(execFile);

export interface RedisClusterServer {
  /** `host:port` of every master, the cluster's seed nodes. */
  readonly nodes: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  /** Kills every node at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts them again on the same ports and waits until the cluster is whole. */
  start(): Promise<void>;
  /** Kills them for good and removes their files. */
  dispose(): Promise<void>;
}

/**
 * A private Redis Cluster of `masters` nodes (no replicas) on free loopback
 * ports, each with its bus on a port of its own. Node files live in a temp
 * directory, so a killed cluster comes back whole on restart.
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterServer> {
  const dir = await mkdtemp(join(tmpdir(), 'sess-redis-cluster-'));
  const processes: ManagedProcess[] = [];
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort();
      const busPort = await freePort();
      processes.push(
        await manageProcess({
          command: 'redis-server',
          args: [
            '--bind',
            LOOPBACK,
            '--port',
            String(port),
            '--cluster-enabled',
            'yes',
            '--cluster-port',
            String(busPort),
            '--cluster-config-file',
            join(dir, `nodes-${port}.conf`),
            '--cluster-node-timeout',
            '2000',
            '--dir',
            dir,
            '--save',
            '',
            '--appendonly',
            'no',
          ],
          port,
        }),
      );
    }
    const addresses = processes.map((p) => `${LOOPBACK}:${p.port}`);
    await run('redis-cli', [
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    const whole = () => Promise.all(processes.map((p) => clusterOk(p.port)));
    await whole();
    return {
      nodes: processes.map((p) => ({ host: LOOPBACK, port: p.port })),
      async kill() {
        await Promise.all(processes.map((p) => p.kill()));
      },
      async start() {
        await Promise.all(processes.map((p) => p.start()));
        await whole();
      },
      async dispose() {
        await Promise.all(processes.map((p) => p.dispose()));
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(processes.map((p) => p.dispose()));
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Waits until a node reports `cluster_state:ok` and every slot assigned. */
async function clusterOk(port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { stdout } = await run('redis-cli', [
        '-h',
        LOOPBACK,
        '-p',
        String(port),
        'cluster',
        'info',
      ]);
      if (stdout.includes('cluster_state:ok') && stdout.includes('cluster_slots_ok:16384')) return;
    } catch {
      // not answering yet
    }
    if (Date.now() > deadline) throw new Error(`Redis Cluster node ${port} did not become ok.`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
