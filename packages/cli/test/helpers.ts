import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { SessionRecord, SessionStore } from '@sess/core';

/** The built command, as users run it. */
export const BIN = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts `sess` in a child process; `done` settles when it exits. */
export function start(
  args: readonly string[],
  cwd?: string,
): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(cwd ? { cwd } : {}),
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = once(child, 'close').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    stdout,
    stderr,
  }));
  return { child, done };
}

/** Runs `sess` to completion. */
export function sess(args: readonly string[], options: { cwd?: string; input?: string } = {}) {
  const { child, done } = start(args, options.cwd);
  child.stdin?.end(options.input ?? '');
  return done;
}

/** The record seeded as session `i`: a sess/1 envelope, a user on every third. */
export function seeded(i: number, base: number): SessionRecord {
  return {
    data: `sess/1 tjson/1 ${base} ${base + 7 * 86_400_000}\n{"n":${i},"cart":["book"],"pad":"${'x'.repeat(200)}"}`,
    expiresAt: base + 86_400_000 + i,
    ...(i % 3 === 0 ? { userId: `user-${i % 1000}` } : {}),
  };
}

export function seededId(i: number): string {
  return `seed-${String(i).padStart(7, '0')}`;
}

/**
 * Writes sessions 0..count-1 into a store, 8 at a time: enough to keep any
 * backend busy, and few enough that no write waits behind hundreds of others
 * past the store's operation timeout on a loaded machine.
 */
export async function seed(store: SessionStore, count: number, base: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const result = await store.create(seededId(i), seeded(i, base));
      if (!result.ok) throw new Error(`seeding session ${i} failed: ${result.reason}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** Every id a store lists, in listing order (duplicates kept, to be counted). */
export async function allIds(store: SessionStore): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list?.({ limit: 1000, ...(cursor ? { cursor } : {}) });
    if (!page) throw new Error('the store cannot list');
    ids.push(...page.ids);
    cursor = page.cursor;
  } while (cursor);
  return ids;
}

/** Checks `count` evenly spread seeded sessions in a store: data, expiry and user as seeded. */
export async function sampleMismatches(
  store: SessionStore,
  total: number,
  count: number,
  base: number,
): Promise<string[]> {
  const wrong: string[] = [];
  const indexes = Array.from({ length: count }, (_, k) => Math.floor((k * total) / count));
  for (let from = 0; from < indexes.length; from += 200) {
    await Promise.all(
      indexes.slice(from, from + 200).map(async (i) => {
        const got = await store.get(seededId(i));
        const want = seeded(i, base);
        if (
          !got ||
          got.data !== want.data ||
          got.expiresAt !== want.expiresAt ||
          got.userId !== want.userId
        ) {
          wrong.push(seededId(i));
        }
      }),
    );
  }
  return wrong;
}
