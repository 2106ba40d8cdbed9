import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../src/index.js';
import { scratchRoot } from './support/directories.js';
import { isWholePayload, payload, startTogether } from './support/workers.js';

const root = scratchRoot('crash');
/** Kill at least this often, and on until a few kills left a lock behind. */
const MIN_KILLS = 10;
const MAX_KILLS = 40;
const LOCKS_LEFT_WANTED = 3;
const HOUR = 3_600_000;

async function tempFiles(directory: string): Promise<string[]> {
  const found: string[] = [];
  for (const shard of await readdir(join(directory, 's'))) {
    if (shard.startsWith('.')) continue;
    for (const name of await readdir(join(directory, 's', shard))) {
      if (name.includes('.')) found.push(name);
    }
  }
  return found;
}

describe('a writer killed with SIGKILL in the middle of its writes', () => {
  it('leaves every record whole or absent, and its locks are taken over at once', async () => {
    const directory = join(root, 'kill-loop');
    const shared = Array.from({ length: 6 }, (_, i) => `crash_${i}_Id`);
    const store = new FileStore({ directory });
    const corrupt: string[] = [];
    store.on('corrupt', (event) => corrupt.push(event.reason));
    try {
      let locksLeft = 0;
      for (
        let round = 0;
        round < MAX_KILLS && (round < MIN_KILLS || locksLeft < LOCKS_LEFT_WANTED);
        round++
      ) {
        const [writer] = await startTogether([
          { mode: 'crash-loop', directory, name: `W${round}`, ids: shared, seed: round + 1 },
        ]);
        assert.ok(writer);
        await sleep(50 + Math.floor(Math.random() * 250));
        await writer.kill();
        expect(writer.errors).toEqual([]);
        if ((await tempFiles(directory)).length > 0) locksLeft++;

        for (const id of shared) {
          const record = await store.get(id);
          if (record) assert.ok(isWholePayload(record.data), `${id}: a torn record after kill`);
        }
        // The dead writer's lock, if it held one, must not block the next writer
        // until lockStaleMs (10 s, beyond the 2 s operation timeout): its pid is gone.
        for (const id of shared) {
          const data = payload('parent', round, 100);
          const current = await store.get(id);
          const result = current
            ? await store.update(
                id,
                { data, expiresAt: Date.now() + HOUR },
                { ifVersion: current.version },
              )
            : await store.create(id, { data, expiresAt: Date.now() + HOUR });
          assert.ok(result.ok, `${id}: write after kill refused: ${JSON.stringify(result)}`);
          assert.equal((await store.get(id))?.data, data);
        }
      }
      expect(corrupt).toEqual([]);
      // The takeover of a dead writer's lock was exercised, not just hoped for.
      expect(locksLeft).toBeGreaterThan(0);

      // What the dead writers left behind (temp files) goes with the next sweep.
      await store.clearExpired();
      expect(await tempFiles(directory)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
