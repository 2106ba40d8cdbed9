import assert from 'node:assert/strict';
import type { StoredSession } from '../../contract.js';
import { defineTests } from './define.js';

interface Write {
  kind: 'create' | 'update' | 'destroy';
  data: string;
  ifVersion?: string;
  /** Logical times: a write that starts after another ended happened after it. */
  start: number;
  end: number;
  version?: string;
}

/** A small seeded generator, so a failing storm can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const WORKERS = 64;
const OPS_PER_WORKER = 25;
const IDS = 8;

export const stormTests = defineTests({
  'storm: 64 workers of mixed operations leave a state that agrees with the acknowledged writes': {
    async run(t) {
      const ids = Array.from({ length: IDS }, () => t.newId());
      const writes = new Map(ids.map((id) => [id, [] as Write[]]));
      const reads: Array<{ id: string; read: StoredSession }> = [];
      let clock = 0;

      const timed = async <T>(
        id: string,
        write: Omit<Write, 'start' | 'end'>,
        call: () => Promise<T>,
      ) => {
        const entry: Write = { ...write, start: ++clock, end: 0 };
        const result = await call();
        entry.end = ++clock;
        writes.get(id)?.push(entry);
        return { entry, result };
      };

      const worker = async (w: number) => {
        const next = random(w + 1);
        for (let op = 0; op < OPS_PER_WORKER; op++) {
          const id = ids[Math.floor(next() * IDS)] as string;
          const data = `w${w}-op${op}`;
          const record = { data, expiresAt: t.expiresIn(3_600_000) };
          const roll = next();
          if (roll < 0.25) {
            const read = await t.store.get(id);
            if (read) reads.push({ id, read });
          } else if (roll < 0.4) {
            const { entry, result } = await timed(id, { kind: 'create', data }, () =>
              t.store.create(id, record),
            );
            if (result.ok) entry.version = result.version;
          } else if (roll < 0.65) {
            const current = await t.store.get(id);
            if (current) reads.push({ id, read: current });
            const ifVersion = current?.version ?? 'none';
            const { entry, result } = await timed(id, { kind: 'update', data, ifVersion }, () =>
              t.store.update(id, record, { ifVersion }),
            );
            if (result.ok) entry.version = result.version;
          } else if (roll < 0.75) {
            const { entry, result } = await timed(id, { kind: 'update', data }, () =>
              t.store.update(id, record),
            );
            if (result.ok) entry.version = result.version;
          } else if (roll < 0.87) {
            await t.store.touch(id, t.expiresIn(3_600_000));
          } else {
            await timed(id, { kind: 'destroy', data }, () => t.store.destroy(id));
          }
        }
      };
      await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));

      for (const id of ids) {
        const log = writes.get(id) ?? [];
        const acknowledged = log.filter((w) => w.version !== undefined);
        const byData = new Map(acknowledged.map((w) => [w.data, w]));
        const versions = new Set(acknowledged.map((w) => w.version));
        assert.equal(
          versions.size,
          acknowledged.length,
          `${id}: two successful writes share a version`,
        );

        const perBase = new Map<string, number>();
        for (const w of acknowledged) {
          if (w.ifVersion !== undefined)
            perBase.set(w.ifVersion, (perBase.get(w.ifVersion) ?? 0) + 1);
        }
        for (const [base, wins] of perBase) {
          assert.equal(wins, 1, `${id}: ${wins} updates succeeded with ifVersion ${base}`);
        }

        const final = await t.store.get(id);
        if (final) {
          const source = byData.get(final.data);
          assert.ok(source, `${id}: the final record ${final.data} was never acknowledged`);
          assert.equal(
            final.version,
            source.version,
            `${id}: the final version is not its write's`,
          );
          const later = log.find(
            (w) => w !== source && w.start > source.end && (w.kind === 'destroy' || w.version),
          );
          assert.equal(
            later,
            undefined,
            `${id}: ${later?.kind} ${later?.data} came after ${final.data} and was lost`,
          );
        } else {
          const undone = acknowledged.find(
            (w) => !log.some((d) => d.kind === 'destroy' && d.end > w.start),
          );
          assert.equal(
            undone,
            undefined,
            `${id}: ${undone?.data} was acknowledged and never destroyed, yet is gone`,
          );
        }
      }
      for (const { id, read } of reads) {
        const source = writes.get(id)?.find((w) => w.data === read.data);
        assert.ok(source?.version, `${id}: a read saw ${read.data}, which was never acknowledged`);
        assert.equal(
          read.version,
          source.version,
          `${id}: a read saw ${read.data} with another version`,
        );
      }
    },
  },
});
