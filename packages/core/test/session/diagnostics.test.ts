import diagnosticsChannel from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CorruptRecordError,
  MemoryStore,
  SessionManager,
  type SessionStore,
  type StoredSession,
  sessChannels,
} from '../../src/index.js';

/** The memory store, with ids it reports corrupt (as a store whose record cannot be parsed does). */
class CorruptingStore extends MemoryStore {
  readonly corrupt = new Set<string>();

  override async get(id: string): Promise<StoredSession | null> {
    if (this.corrupt.has(id)) throw new CorruptRecordError('This record cannot be read back.');
    return super.get(id);
  }
}

type Heard = { channel: string; message: Record<string, unknown> };
const unsubscribers: Array<() => void> = [];

/** Every message on every sess channel, traces included, in order. */
function listen(): Heard[] {
  const heard: Heard[] = [];
  const record = (channel: string) => (message: unknown) =>
    heard.push({ channel, message: { ...(message as Record<string, unknown>) } });
  const { store, commit, ...plain } = sessChannels;
  for (const name of [store, commit]) {
    const handlers = {
      start: record(`tracing:${name}:start`),
      end: record(`tracing:${name}:end`),
      asyncStart: record(`tracing:${name}:asyncStart`),
      asyncEnd: record(`tracing:${name}:asyncEnd`),
      error: record(`tracing:${name}:error`),
    };
    diagnosticsChannel.tracingChannel(name).subscribe(handlers);
    unsubscribers.push(() => diagnosticsChannel.tracingChannel(name).unsubscribe(handlers));
  }
  for (const name of Object.values(plain)) {
    const listener = record(name);
    diagnosticsChannel.subscribe(name, listener);
    unsubscribers.push(() => diagnosticsChannel.unsubscribe(name, listener));
  }
  return heard;
}

afterEach(() => {
  for (const unsubscribe of unsubscribers.splice(0)) unsubscribe();
});

async function saved(manager: SessionManager, data: Record<string, unknown>) {
  const session = await manager.load(undefined);
  for (const [key, value] of Object.entries(data)) session.set(key, value);
  const cookie = await manager.commit(session);
  if (!cookie || !('token' in cookie)) throw new Error('expected a cookie');
  return { token: cookie.token, id: session.id as string };
}

describe('diagnostics channels', () => {
  it('trace every store call and commit, naming the store, the operation, the outcome and the store id', async () => {
    const manager = new SessionManager({ store: new MemoryStore() });
    const heard = listen();
    const { token, id } = await saved(manager, { visits: 1 });
    await manager.load(token);

    const ends = heard.filter((h) => h.channel.endsWith(':asyncEnd')).map((h) => h.message);
    expect(ends).toEqual([
      { operation: 'create', store: 'MemoryStore', sessionId: id, outcome: 'ok' },
      { store: 'MemoryStore', outcome: 'saved' },
      { operation: 'get', store: 'MemoryStore', sessionId: id, outcome: 'found' },
    ]);
    // Starts come before their ends, and the create runs inside the commit.
    expect(heard.map((h) => h.channel).filter((c) => /start$/i.test(c))).toEqual([
      'tracing:sess:commit:start',
      'tracing:sess:store:start',
      'tracing:sess:store:asyncStart',
      'tracing:sess:commit:asyncStart',
      'tracing:sess:store:start',
      'tracing:sess:store:asyncStart',
    ]);
  });

  it('never carry a token, session data or a user id', async () => {
    const store = new CorruptingStore();
    const manager = new SessionManager({ store, conflictRetries: 3 });
    const heard = listen();
    const { token } = await saved(manager, { secret: 'do-not-publish' });
    const a = await manager.load(token);
    const b = await manager.load(token);
    a.set('secret', 'still-secret');
    a.userId = 'alice@example.com';
    await manager.commit(a);
    b.set('other', 'private-too');
    await manager.commit(b);
    b.regenerate();
    const rotated = await manager.commit(b);
    await manager.destroyForUser('alice@example.com');
    const text = JSON.stringify(heard);
    expect(heard.length).toBeGreaterThan(20);
    for (const secret of [token, 'do-not-publish', 'still-secret', 'private-too', 'alice']) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toContain((rotated as { token: string }).token);
  });

  it('publish a conflict, then the retry that follows it', async () => {
    const manager = new SessionManager({ store: new MemoryStore() });
    const { token, id } = await saved(manager, { n: 0 });
    const a = await manager.load(token);
    const b = await manager.load(token);
    a.set('n', 1);
    await manager.commit(a);
    const heard = listen();
    b.set('m', 1);
    await manager.commit(b);
    const plain = heard.filter((h) => !h.channel.startsWith('tracing:'));
    expect(plain).toEqual([
      { channel: 'sess:conflict', message: { store: 'MemoryStore', sessionId: id } },
      { channel: 'sess:retry', message: { store: 'MemoryStore', sessionId: id, attempt: 1 } },
    ]);
  });

  it('publish a record that cannot be read, whether the store or the codec refuses it', async () => {
    const store = new CorruptingStore();
    const manager = new SessionManager({ store });
    const corrupt = await saved(manager, { n: 1 });
    const garbled = await saved(manager, { n: 2 });
    store.corrupt.add(corrupt.id);
    const expiresAt = (await store.get(garbled.id))?.expiresAt as number;
    await store.update(garbled.id, { data: 'not an envelope', expiresAt });
    const heard = listen();
    expect((await manager.load(corrupt.token)).isNew).toBe(true);
    expect((await manager.load(garbled.token)).isNew).toBe(true);
    expect(heard.filter((h) => h.channel === 'sess:unreadable')).toEqual([
      {
        channel: 'sess:unreadable',
        message: { store: 'CorruptingStore', sessionId: corrupt.id, reason: 'corrupt' },
      },
      {
        channel: 'sess:unreadable',
        message: { store: 'CorruptingStore', sessionId: garbled.id, reason: 'undecodable' },
      },
    ]);
  });

  it('publish renewals and rotations', async () => {
    let now = Date.UTC(2030, 0, 1);
    const store = new MemoryStore({ now: () => now });
    const manager = new SessionManager({ store, now: () => now, idleTimeoutMs: 60_000 });
    const { token, id } = await saved(manager, { n: 1 });
    const heard = listen();
    now += 40_000; // past half the idle window: renewal due
    const session = await manager.load(token);
    await manager.commit(session);
    session.regenerate();
    await manager.commit(session);
    expect(heard.filter((h) => !h.channel.startsWith('tracing:'))).toEqual([
      {
        channel: 'sess:renew',
        message: { store: 'MemoryStore', sessionId: id, expiresAt: now + 60_000 },
      },
      {
        channel: 'sess:rotate',
        message: { store: 'MemoryStore', fromSessionId: id, sessionId: session.id },
      },
    ]);
  });

  it('publish every sweep with what it removed', async () => {
    let now = Date.UTC(2030, 0, 1);
    const store = new MemoryStore({ now: () => now });
    await store.create('a', { data: '{}', expiresAt: now + 1_000 });
    now += 2_000;
    const heard = listen();
    const sweeper = store.startSweeper({ intervalMs: 60_000 });
    await sweeper.runNow();
    await store.close();
    expect(heard).toEqual([
      {
        channel: 'sess:sweep',
        message: {
          store: 'MemoryStore',
          deleted: 1,
          durationMs: expect.any(Number),
          skipped: false,
        },
      },
    ]);
  });

  it('cover a third-party store through the manager, with no change to it', async () => {
    const inner = new MemoryStore();
    // A store of another shape: a plain object implementing the contract.
    const plain: SessionStore = {
      capabilities: inner.capabilities,
      get: (id) => inner.get(id),
      create: (id, record) => inner.create(id, record),
      update: (id, record, options) => inner.update(id, record, options),
      touch: (id, expiresAt) => inner.touch(id, expiresAt),
      destroy: (id) => inner.destroy(id),
      close: () => inner.close(),
    };
    const manager = new SessionManager({ store: plain });
    const heard = listen();
    await saved(manager, { n: 1 });
    expect(
      heard.filter((h) => h.channel === 'tracing:sess:store:asyncEnd').map((h) => h.message),
    ).toEqual([
      { operation: 'create', store: 'Object', sessionId: expect.any(String), outcome: 'ok' },
    ]);
  });

  it('leave the store itself in reach: its class, its own methods, its optional ones', async () => {
    const store = new MemoryStore();
    const manager = new SessionManager({ store });
    expect(manager.store).toBeInstanceOf(MemoryStore);
    expect(manager.store.capabilities).toBe(store.capabilities);
    const sweeper = (manager.store as MemoryStore).startSweeper({ intervalMs: 60_000 });
    await sweeper.stop();
    expect(await manager.store.count?.()).toBe(0);
    expect('clearExpired' in manager.store).toBe(true);
  });
});
