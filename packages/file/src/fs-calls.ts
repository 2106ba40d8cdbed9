import fs from 'node:fs';

/**
 * The few `node:fs` calls the store makes, as promises over the callback API.
 * `fs/promises` wraps every descriptor in a `FileHandle`, which costs more
 * than the system call itself for records this small; these wrappers keep
 * plain descriptors and close them in `finally` blocks instead.
 */

/** An `fs` error with its `code` (`ENOENT`, `EEXIST`...). */
export type FsError = NodeJS.ErrnoException;

export function errorCode(error: unknown): string | undefined {
  return (error as FsError | undefined)?.code;
}

function settle<T>(resolve: (value: T) => void, reject: (error: unknown) => void) {
  return (error: FsError | null, value: T) => (error ? reject(error) : resolve(value));
}

export function open(path: string, flags: string | number, mode?: number): Promise<number> {
  return new Promise((resolve, reject) => fs.open(path, flags, mode, settle(resolve, reject)));
}

export function close(fd: number): Promise<void> {
  return new Promise((resolve, reject) =>
    fs.close(fd, (error) => (error ? reject(error) : resolve())),
  );
}

/** Closes and swallows the error: for cleanup paths where an error is already on its way. */
export function closeQuietly(fd: number): void {
  fs.close(fd, () => undefined);
}

export function fstat(fd: number): Promise<fs.Stats> {
  return new Promise((resolve, reject) => fs.fstat(fd, settle(resolve, reject)));
}

export function stat(path: string): Promise<fs.Stats> {
  return new Promise((resolve, reject) => fs.stat(path, settle(resolve, reject)));
}

export function lstat(path: string): Promise<fs.Stats> {
  return new Promise((resolve, reject) => fs.lstat(path, settle(resolve, reject)));
}

/** `lstat` (never following a link), or `undefined` when the path does not exist. */
export async function lstatIfExists(path: string): Promise<fs.Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** `stat`, or `undefined` when the path does not exist. */
export async function statIfExists(path: string): Promise<fs.Stats | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** One `pread` into `buffer` from `offset`, at file position `position`. */
export function readAt(
  fd: number,
  buffer: Buffer,
  offset: number,
  position: number,
): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.read(fd, buffer, offset, buffer.length - offset, position, settle(resolve, reject)),
  );
}

/** Fills `buffer` from file position `from` on (or until the end of the file); returns the bytes held. */
export async function readFully(fd: number, buffer: Buffer, from = 0): Promise<number> {
  let filled = from;
  while (filled < buffer.length) {
    const got = await readAt(fd, buffer, filled, filled);
    if (got === 0) break;
    filled += got;
  }
  return filled;
}

/** Writes the whole buffer at the current position, looping over short writes. */
export async function writeAll(fd: number, buffer: Buffer): Promise<void> {
  let written = 0;
  while (written < buffer.length) {
    written += await new Promise<number>((resolve, reject) =>
      fs.write(fd, buffer, written, buffer.length - written, null, settle(resolve, reject)),
    );
  }
}

/** Sets the modification time to `mtimeMs` (and the access time to `atimeMs`), to the millisecond. */
export function futimes(fd: number, atimeMs: number, mtimeMs: number): Promise<void> {
  return new Promise((resolve, reject) =>
    fs.futimes(fd, atimeMs / 1000, mtimeMs / 1000, (error) => (error ? reject(error) : resolve())),
  );
}

export function fsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) =>
    fs.fsync(fd, (error) => (error ? reject(error) : resolve())),
  );
}

export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) =>
    fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())),
  );
}

export function rename(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) =>
    fs.rename(from, to, (error) => (error ? reject(error) : resolve())),
  );
}

export function link(existing: string, newPath: string): Promise<void> {
  return new Promise((resolve, reject) =>
    fs.link(existing, newPath, (error) => (error ? reject(error) : resolve())),
  );
}

export function unlink(path: string): Promise<void> {
  return new Promise((resolve, reject) =>
    fs.unlink(path, (error) => (error ? reject(error) : resolve())),
  );
}

/** Removes a file; a file already gone is fine. */
export async function unlinkIfExists(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

export function mkdirp(path: string, mode: number): Promise<void> {
  return new Promise((resolve, reject) =>
    fs.mkdir(path, { recursive: true, mode }, (error) => (error ? reject(error) : resolve())),
  );
}

export function rmdir(path: string): Promise<void> {
  return new Promise((resolve, reject) =>
    fs.rmdir(path, (error) => (error ? reject(error) : resolve())),
  );
}

export function readdir(path: string): Promise<string[]> {
  return new Promise((resolve, reject) => fs.readdir(path, settle(resolve, reject)));
}

/** `readdir`, or no names when the directory does not exist. */
export async function readdirIfExists(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Streams the names in a directory without loading them all at once (a
 * directory that does not exist streams nothing).
 */
export async function* streamNames(path: string): AsyncGenerator<string> {
  let dir: fs.Dir;
  try {
    dir = await fs.promises.opendir(path, { bufferSize: 256 });
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  // The async iterator closes the directory when the loop ends or breaks.
  for await (const entry of dir) yield entry.name;
}

/** Flushes a directory's entries (a rename or link in it) to disk. */
export async function fsyncDirectory(path: string): Promise<void> {
  const fd = await open(path, 'r');
  try {
    await fsync(fd);
  } finally {
    await close(fd);
  }
}
