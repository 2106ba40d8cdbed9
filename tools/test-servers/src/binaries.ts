import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The first executable named one of `names` on PATH, then in `extraDirs`. */
export function findBinary(
  names: readonly string[],
  extraDirs: readonly string[] = [],
): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...extraDirs];
  for (const dir of dirs) {
    for (const name of names) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** Output of a command, or undefined when it cannot run. */
export function tryOutput(command: string, args: readonly string[]): string | undefined {
  try {
    return execFileSync(command, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

/**
 * The uid and gid of an unprivileged account to run a server as, when this
 * process is root (PostgreSQL refuses to run as root); undefined otherwise.
 */
export function unprivilegedUser(name: string): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(tryOutput('id', ['-u', name]));
  const gid = Number(tryOutput('id', ['-g', name]));
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new Error(`Running as root, but there is no "${name}" account to run the server as.`);
  }
  return { uid, gid };
}
