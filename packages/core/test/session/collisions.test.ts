import { describe, expect, it } from 'vitest';
import {
  MemoryStore,
  SessionConflictError,
  SessionManager,
  type SessionRecord,
  type WriteResult,
} from '../../src/index.js';

/**
 * A MemoryStore in which the next `collisions` new ids turn out to be taken:
 * another session is written under the id just before the manager's create,
 * so the store answers 'exists' on its own, as it would for a real collision.
 */
class CollidingStore extends MemoryStore {
  collisions: number;
  readonly taken: string[] = [];

  constructor(collisions: number) {
    super();
    this.collisions = collisions;
  }

  override async create(id: string, record: SessionRecord): Promise<WriteResult> {
    if (this.collisions > 0) {
      this.collisions--;
      this.taken.push(id);
      await super.create(id, { data: 'someone else', expiresAt: record.expiresAt });
    }
    return super.create(id, record);
  }
}

describe('token collisions on create', () => {
  it('a create that meets an existing id retries with a fresh token', async () => {
    const store = new CollidingStore(1);
    const manager = new SessionManager({ store });
    const session = await manager.load(undefined);
    session.set('a', 1);
    const cookie = (await manager.commit(session)) as { token: string };
    expect(store.taken).toHaveLength(1);
    expect(session.id).not.toBe(store.taken[0]);
    expect((await store.get(store.taken[0] as string))?.data).toBe('someone else');
    expect((await manager.load(cookie.token)).get('a')).toBe(1);
  });

  it('three collisions in a row fail with SessionConflictError and overwrite nothing', async () => {
    const store = new CollidingStore(3);
    const manager = new SessionManager({ store });
    const session = await manager.load(undefined);
    session.set('a', 1);
    await expect(manager.commit(session)).rejects.toBeInstanceOf(SessionConflictError);
    for (const id of store.taken) expect((await store.get(id))?.data).toBe('someone else');
    expect(session.isNew).toBe(true);
  });
});
