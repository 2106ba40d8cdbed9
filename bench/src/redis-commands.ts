/**
 * pnpm --filter @sess/bench redis-commands [--quick] [--ops N] [--rounds R]
 *
 * What each @sess/redis operation costs Redis and the client, against the
 * plain commands it replaces, at 1 and 64 in flight on one private
 * redis-server and one node-redis connection:
 * - each store operation (`RedisStore`) against the bare command of its kind;
 * - each Lua script of the store, sent raw (`EVALSHA`), against the same
 *   bare command, and against `EVALSHA` of a script that does nothing (what
 *   any script costs);
 * - the cheaper designs considered: a record whose expiry lives only in the
 *   key's own expiry (read back with `PEXPIRETIME` in a `MULTI`, so touch
 *   could be a bare `PEXPIREAT`), and a bounded read (`GETRANGE`) against `GET`.
 *
 * Cases are interleaved and their order rotates each round; the table gives
 * the median ops/s of the rounds and each case's ratio to the first case of
 * its group, measured in the same round.
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { RedisStore } from '@sess/redis';
import { startRedis } from '@sess/test-servers';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import { createClient } from 'redis';
// The store's own scripts and record format, to send them raw. Not public API.
import { encodeRecord, pad16 } from '../../packages/redis/src/record.js';
import { CREATE, TOUCH, UPDATE } from '../../packages/redis/src/scripts.js';
import { cliArgs } from './cli-args.js';
import { type ExpressSessionStore, expressSessionTarget } from './peer-target.js';
import { sessionData } from './phases.js';
import { median } from './stats.js';

const { values: args } = parseArgs({
  args: cliArgs(),
  options: {
    quick: { type: 'boolean', default: false },
    ops: { type: 'string' },
    rounds: { type: 'string' },
  },
});
const OPS = Number(args.ops ?? (args.quick ? 200 : 20_000));
const ROUNDS = Number(args.rounds ?? (args.quick ? 1 : 5));
const CONCURRENCY = [1, 64] as const;
const HOUR = 3_600_000;

const server = await startRedis();
const client = createClient({ url: `redis://127.0.0.1:${server.port}` });
client.on('error', () => {});
await client.connect();
const send = (command: string[]) => client.sendCommand(command);
const store = new RedisStore({ client, prefix: 'st' });
const DATA = sessionData(1);
const peer = expressSessionTarget(
  'connect-redis',
  new ConnectRedisStore({ client, prefix: 'cr:' }) as unknown as ExpressSessionStore,
);

const sha = (source: string) => createHash('sha1').update(source).digest('hex');
const EMPTY = 'return 1';
/** Touch of a record whose expiry lives only in the key's expiry: live by the app's clock? */
const TOUCH_BY_TTL = `local t = redis.call('PEXPIRETIME', KEYS[1])
if t < 0 or t < tonumber(ARGV[2]) then return 0 end
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
return 1`;
for (const source of [EMPTY, TOUCH_BY_TTL, CREATE.source, TOUCH.source, UPDATE.source]) {
  await send(['SCRIPT', 'LOAD', source]);
}

/** A stored record as the store writes it, expiring in an hour. */
function value(version = 'v'.repeat(16)) {
  return encodeRecord(version, Date.now() + HOUR, undefined, '', DATA);
}

interface Case {
  readonly group: string;
  readonly name: string;
  /** Puts a record under each key before the case runs (not for create). */
  readonly needs: 'records' | 'nothing';
  run(key: string, id: string): Promise<unknown>;
}

const at = () => String(Date.now() + HOUR);
const cases: Case[] = [
  // Reads
  { group: 'get', name: 'GET', needs: 'records', run: (key) => send(['GET', key]) },
  {
    group: 'get',
    name: 'GETRANGE 0 <limit>',
    needs: 'records',
    run: (key) => send(['GETRANGE', key, '0', String(1_050_000)]),
  },
  {
    group: 'get',
    name: 'MULTI GET PEXPIRETIME EXEC',
    needs: 'records',
    run: (key) => client.multi().get(key).pExpireTime(key).exec(),
  },
  { group: 'get', name: 'store.get', needs: 'records', run: (_, id) => store.get(id) },
  // Creates
  {
    group: 'create',
    name: 'SET NX PXAT',
    needs: 'nothing',
    run: (key) => send(['SET', key, value(), 'NX', 'PXAT', at()]),
  },
  {
    group: 'create',
    name: 'EVALSHA create (record only)',
    needs: 'nothing',
    run: (key) => send(['EVALSHA', CREATE.sha, '1', key, value(), at(), String(Date.now())]),
  },
  {
    group: 'create',
    name: 'EVALSHA create (record + user index)',
    needs: 'nothing',
    run: (key, id) => {
      const now = Date.now();
      return send([
        ...['EVALSHA', CREATE.sha, '2', key, `${key}:u`, value(), at(), String(now), id],
        String(now + 2 * HOUR),
      ]);
    },
  },
  {
    group: 'create',
    name: 'store.create',
    needs: 'nothing',
    run: (_, id) => store.create(id, { data: DATA, expiresAt: Date.now() + HOUR }),
  },
  {
    group: 'create',
    name: 'connect-redis create',
    needs: 'nothing',
    run: (_, id) => peer.create(id, DATA, Date.now() + HOUR),
  },
  // Touches
  {
    group: 'touch',
    name: 'PEXPIREAT',
    needs: 'records',
    run: (key) => send(['PEXPIREAT', key, at()]),
  },
  {
    group: 'touch',
    name: 'EVALSHA return 1',
    needs: 'records',
    run: (key) => send(['EVALSHA', sha(EMPTY), '1', key]),
  },
  {
    group: 'touch',
    name: 'EVALSHA touch',
    needs: 'records',
    run: (key) => {
      const expiresAt = Date.now() + HOUR;
      const args = [pad16(expiresAt), String(expiresAt - 1), String(Date.now()), '', ''];
      return send(['EVALSHA', TOUCH.sha, '1', key, ...args]);
    },
  },
  {
    group: 'touch',
    name: 'EVALSHA touch, expiry in the key only',
    needs: 'records',
    run: (key) => send(['EVALSHA', sha(TOUCH_BY_TTL), '1', key, at(), String(Date.now())]),
  },
  {
    group: 'touch',
    name: 'store.touch',
    needs: 'records',
    run: (_, id) => store.touch(id, Date.now() + HOUR),
  },
  {
    group: 'touch',
    name: 'connect-redis touch',
    needs: 'records',
    run: (_, id) => peer.touch(id, Date.now() + HOUR),
  },
  // Updates
  {
    group: 'update',
    name: 'SET PXAT',
    needs: 'records',
    run: (key) => send(['SET', key, value(), 'PXAT', at()]),
  },
  {
    group: 'update',
    name: 'EVALSHA update',
    needs: 'records',
    run: (key) => send(['EVALSHA', UPDATE.sha, '1', key, value(), at(), String(Date.now()), '']),
  },
  {
    group: 'update',
    name: 'store.update',
    needs: 'records',
    run: (_, id) => store.update(id, { data: DATA, expiresAt: Date.now() + HOUR }),
  },
  // Destroys
  { group: 'destroy', name: 'DEL', needs: 'records', run: (key) => send(['DEL', key]) },
  { group: 'destroy', name: 'UNLINK', needs: 'records', run: (key) => send(['UNLINK', key]) },
  { group: 'destroy', name: 'store.destroy', needs: 'records', run: (_, id) => store.destroy(id) },
  {
    group: 'destroy',
    name: 'connect-redis destroy',
    needs: 'records',
    run: (_, id) => peer.destroy(id),
  },
];

let sequence = 0;
/** Fresh ids for one run of one case; store cases use the store's own keys. */
async function prepare(testCase: Case): Promise<Array<[string, string]>> {
  const run = sequence++;
  const via = testCase.name.split(/[. ]/)[0];
  const keys = Array.from({ length: OPS }, (_, i): [string, string] => [
    `raw:c${run}_${i}`,
    `c${run}_${i}`,
  ]);
  if (testCase.needs === 'records') {
    for (let i = 0; i < keys.length; i += 500) {
      const batch = keys.slice(i, i + 500);
      await Promise.all(
        batch.map(([key, id]) =>
          via === 'store'
            ? store.create(id, { data: DATA, expiresAt: Date.now() + HOUR })
            : via === 'connect-redis'
              ? peer.create(id, DATA, Date.now() + HOUR)
              : send(['SET', key, value(), 'PXAT', at()]),
        ),
      );
    }
  }
  return keys;
}

interface Sample {
  opsPerSec: number;
  /** Redis's CPU time per operation (INFO commandstats, every command the case sent). */
  redisUs: number;
  /** This process's CPU time per operation: the client, and the store where there is one. */
  clientUs: number;
}

/**
 * CPU µs Redis spent on the case's commands since the last CONFIG RESETSTAT
 * (INFO commandstats). A script's or a transaction's own entry already holds
 * the commands it ran, which are counted again under their names: then only
 * that entry counts.
 */
async function redisCommandUs(): Promise<number> {
  const info = String(await send(['INFO', 'commandstats']));
  const usec = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_(\w+):calls=\d+,usec=(\d+)/gm)) {
    usec.set(match[1] as string, Number(match[2]));
  }
  usec.delete('info');
  usec.delete('config');
  const outer = ['evalsha', 'eval', 'exec', 'multi'].filter((name) => usec.has(name));
  const counted = outer.includes('evalsha') || outer.includes('exec') ? outer : [...usec.keys()];
  return counted.reduce((total, name) => total + (usec.get(name) ?? 0), 0);
}

async function measure(testCase: Case, concurrency: number): Promise<Sample> {
  const keys = await prepare(testCase);
  await send(['CONFIG', 'RESETSTAT']);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < keys.length; i = next++) {
      const [key, id] = keys[i] as [string, string];
      await testCase.run(key, id);
    }
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  const sample = {
    opsPerSec: (keys.length / elapsed) * 1000,
    redisUs: (await redisCommandUs()) / keys.length,
    clientUs: (user + system) / keys.length,
  };
  await send(['FLUSHDB']);
  return sample;
}

const samples = new Map<string, Sample[]>();
const ratios = new Map<string, number[]>();
/** Per round: a store operation's rate over connect-redis's for the same operation. */
const peerRatios = new Map<string, number[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const concurrency of CONCURRENCY) {
    const order = cases.map((_, i) => cases[(i + round) % cases.length] as Case);
    const results = new Map<Case, Sample>();
    for (const testCase of order) results.set(testCase, await measure(testCase, concurrency));
    for (const testCase of cases) {
      const key = `${testCase.group}|${testCase.name}|${concurrency}`;
      const base = cases.find((c) => c.group === testCase.group) as Case;
      const sample = results.get(testCase) as Sample;
      samples.set(key, [...(samples.get(key) ?? []), sample]);
      const ratio = sample.opsPerSec / (results.get(base) as Sample).opsPerSec;
      ratios.set(key, [...(ratios.get(key) ?? []), ratio]);
      const rival = cases.find((c) => c.name === `connect-redis ${testCase.group}`);
      if (testCase.name.startsWith('store.') && rival) {
        const vsPeer = sample.opsPerSec / (results.get(rival) as Sample).opsPerSec;
        peerRatios.set(key, [...(peerRatios.get(key) ?? []), vsPeer]);
      }
    }
  }
}

const lines = [
  `Redis commands and scripts: ${OPS} operations per case, medians of ${ROUNDS} rounds.`,
  '',
  '| operation | case | in flight | ops/s | vs first of group | vs connect-redis | Redis µs/op | client µs/op |',
  '| --- | --- | --: | --: | --: | --: | --: | --: |',
];
for (const testCase of cases) {
  for (const concurrency of CONCURRENCY) {
    const key = `${testCase.group}|${testCase.name}|${concurrency}`;
    const taken = samples.get(key) ?? [];
    const of = (pick: (s: Sample) => number) => median(taken.map(pick));
    const rate = Math.round(of((s) => s.opsPerSec)).toLocaleString('en-US');
    const ratio = median(ratios.get(key) ?? []).toFixed(2);
    const peerRatio = peerRatios.get(key);
    const vsPeer = peerRatio ? `${median(peerRatio).toFixed(2)}×` : '';
    const cells = [
      rate,
      `${ratio}×`,
      vsPeer,
      of((s) => s.redisUs).toFixed(2),
      of((s) => s.clientUs).toFixed(1),
    ];
    lines.push(`| ${testCase.group} | ${testCase.name} | ${concurrency} | ${cells.join(' | ')} |`);
  }
}
console.log(lines.join('\n'));

await store.close();
await client.close();
await server.dispose();
