import { InvalidOptionError, isSessionStoreError, StoreUnavailableError } from '@sess/core';
import { type OptionKeys, rejectUnknownOptions } from '@sess/core/store-kit';
import { openFile, openMemory } from './local.js';
import { openMemcached } from './memcached.js';
import { credentialsOf, parseStoreUrl, type StoreUrl } from './parse.js';
import { redactor } from './redact.js';
import { openRedis } from './redis.js';
import { openSql } from './sql.js';
import type { Opened, OpenedStore, OpenStoreOptions } from './types.js';

/** Bound on connecting and on every store call when the URL sets no `timeoutMs`. */
export const DEFAULT_TIMEOUT_MS = 2_000;

function openParsed(url: StoreUrl, options: OpenStoreOptions, timeoutMs: number): Promise<Opened> {
  switch (url.scheme) {
    case 'memory':
      return Promise.resolve(openMemory(url));
    case 'file':
      return openFile(url, options, timeoutMs);
    case 'sqlite':
    case 'postgres':
    case 'postgresql':
    case 'mysql':
    case 'mariadb':
      return openSql(url, options, timeoutMs);
    case 'redis':
    case 'rediss':
    case 'redis+cluster':
      return openRedis(url, options, timeoutMs);
    case 'memcached':
      return openMemcached(url, timeoutMs);
  }
}

const OPEN_STORE_OPTIONS: OptionKeys<OpenStoreOptions> = {
  mode: true,
  sweepBatchSize: true,
  onWarning: true,
};

/**
 * Opens the store a URL names, loading its adapter package only now: an app
 * or tool needs only the adapter of the store it uses. Scheme, servers and
 * query options are checked first (`InvalidOptionError`, naming an unknown
 * key); a missing adapter is an `InvalidOptionError` naming the packages to
 * install; a server that does not answer within the timeout is a
 * `StoreUnavailableError`. No message, and no `cause`, holds the URL's
 * password.
 *
 * @example
 * const { store, url, close } = await openStore('redis://127.0.0.1:6379?prefix=app:');
 * console.log(`sessions in ${url.description}`);
 * await store.get('some-session-id');
 * await close();
 */
export async function openStore(
  spec: string,
  options: OpenStoreOptions = {},
): Promise<OpenedStore> {
  const url = parseStoreUrl(spec);
  rejectUnknownOptions(options, OPEN_STORE_OPTIONS, 'openStore');
  const mode = options.mode ?? 'use';
  if (mode !== 'use' && mode !== 'create' && mode !== 'inspect') {
    throw new InvalidOptionError('openStore mode is use, create or inspect.');
  }
  const timeoutMs = url.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  try {
    return { ...(await openParsed(url, options, timeoutMs)), url };
  } catch (error) {
    throw sanitized(error, url, redactor(credentialsOf(url), spec));
  }
}

/**
 * The same failure, with every secret of the URL blanked and the store named
 * by its description. The driver's error is not kept as `cause`: some carry
 * their connection settings, password included.
 */
function sanitized(error: unknown, url: StoreUrl, redact: (text: string) => string): Error {
  const reason = redact(error instanceof Error ? error.message : String(error));
  const message = reason.includes(url.description)
    ? reason
    : `Could not open ${url.description}: ${reason}`;
  if (isSessionStoreError(error) && error.code === 'SESS_INVALID_OPTION') {
    return new InvalidOptionError(message);
  }
  return new StoreUnavailableError(message);
}
