import { constants } from 'node:fs';
import {
  close,
  errorCode,
  mkdirp,
  open,
  readdirIfExists,
  rmdir,
  streamNames,
  unlinkIfExists,
} from './fs-calls.js';
import { idOfFileName, isShardName, type Layout, type RecordPaths } from './layout.js';
import { inBatches } from './listing.js';

/**
 * An entry is an empty file: created if missing, never truncated or followed
 * (a link or FIFO planted in its place fails the write instead of reaching
 * another file).
 */
const ENTRY_FLAGS =
  constants.O_WRONLY |
  constants.O_CREAT |
  (constants.O_NOFOLLOW ?? 0) |
  (constants.O_NONBLOCK ?? 0);

/**
 * Which sessions belong to which user: an empty file per session, named
 * like the record, in a directory per user (named by a hash of the user id).
 *
 * The store writes an entry under the record's lock before the record, so
 * no record with a user ever lacks its entry. An entry can outlive its record
 * (a crash in between, a session given to another user): every reader checks
 * the record itself, and `prune` removes entries without a record.
 */
export class UserIndex {
  readonly #layout: Layout;
  readonly #fileMode: number;
  readonly #directoryMode: number;

  constructor(layout: Layout, fileMode: number, directoryMode: number) {
    this.#layout = layout;
    this.#fileMode = fileMode;
    this.#directoryMode = directoryMode;
  }

  async add(userId: string, paths: RecordPaths): Promise<void> {
    const dir = this.#layout.userDir(userId);
    for (let attempt = 0; ; attempt++) {
      try {
        await close(await open(`${dir}/${paths.name}`, ENTRY_FLAGS, this.#fileMode));
        return;
      } catch (error) {
        // A sweep may remove an empty user directory at any moment: make it again.
        if (errorCode(error) !== 'ENOENT' || attempt >= 3) throw error;
        await mkdirp(dir, this.#directoryMode);
      }
    }
  }

  async remove(userId: string, paths: RecordPaths): Promise<void> {
    await unlinkIfExists(`${this.#layout.userDir(userId)}/${paths.name}`);
  }

  /** Streams the record file names of a user's entries. */
  entries(userId: string): AsyncGenerator<string> {
    return streamNames(this.#layout.userDir(userId));
  }

  /**
   * Visits every entry, `batch` at a time, with the record it names and the
   * entry's path, so the caller can drop entries without a record; then
   * removes user directories left empty.
   */
  async prune(
    batch: number,
    visit: (paths: RecordPaths, entry: string) => Promise<void>,
  ): Promise<void> {
    const { usersDir } = this.#layout;
    for (const outer of await readdirIfExists(usersDir)) {
      if (!isShardName(outer)) continue;
      for (const inner of await readdirIfExists(`${usersDir}/${outer}`)) {
        const dir = `${usersDir}/${outer}/${inner}`;
        for await (const names of inBatches(streamNames(dir), batch)) {
          await Promise.all(
            names.map(async (name) => {
              const id = idOfFileName(name);
              if (id !== undefined) await visit(this.#layout.record(id), `${dir}/${name}`);
            }),
          );
        }
        // Fails, as it should, while the directory holds entries.
        await rmdir(dir).catch(() => undefined);
      }
      await rmdir(`${usersDir}/${outer}`).catch(() => undefined);
    }
  }
}
