import { resolve } from 'node:path';
import { InvalidOptionError } from '@sess/core';

/** The URL schemes `openStore` knows, by the store they open. */
export const SCHEMES = {
  memory: 'memory:',
  sqlite: 'sqlite:',
  file: 'file:',
  postgres: 'postgres://',
  postgresql: 'postgresql://',
  mysql: 'mysql://',
  mariadb: 'mariadb://',
  redis: 'redis://',
  rediss: 'rediss://',
  'redis+cluster': 'redis+cluster://',
  memcached: 'memcached://',
} as const;

export type StoreScheme = keyof typeof SCHEMES;

/** Options read from the query string, already checked. */
export interface StoreUrlOptions {
  /** Key prefix (Redis, Memcached). */
  readonly prefix?: string;
  /** Table (SQL). */
  readonly table?: string;
  /** PostgreSQL schema of the table. */
  readonly schema?: string;
  /** Bound on connecting and on every store call, in ms. */
  readonly timeoutMs?: number;
  /** Largest accepted payload in UTF-8 bytes. */
  readonly maxPayloadBytes?: number;
  /** Memcached's item size limit (`-I`) the servers run with. */
  readonly itemSizeMax?: number;
  /** Most connections in the SQL pool. */
  readonly pool?: number;
  /** Flush every file write to disk (`file:`). */
  readonly fsync?: boolean;
  /** PostgreSQL `sslmode`, passed to the driver. */
  readonly sslmode?: string;
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * A store URL taken apart. Credentials are kept out of every enumerable
 * field, so logging or serialising it shows none.
 */
export interface StoreUrl {
  readonly scheme: StoreScheme;
  /** Servers, in the order given (network schemes). */
  readonly hosts: readonly HostPort[];
  /** The decoded path: a file or directory (resolved), a database name, a Redis db. */
  readonly path: string;
  readonly options: StoreUrlOptions;
  /** The URL as it may be printed: no user name, no password. */
  readonly description: string;
  /**
   * What the store's data lives in (server and database, or file), and the
   * namespace in it (prefix, table, directory): two URLs with the same
   * `location` and overlapping namespaces are the same sessions.
   */
  readonly location: string;
  readonly namespace: string;
}

/** The secrets of a parsed URL, for the opener only. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

const credentials = new WeakMap<StoreUrl, Credentials>();

/** The user name and password a URL carried (empty strings when none). */
export function credentialsOf(url: StoreUrl): Credentials {
  return credentials.get(url) ?? { username: '', password: '' };
}

type Reader = (value: string, key: string) => unknown;

const positiveInteger: Reader = (value, key) => {
  const n = Number(value);
  if (!/^\d{1,15}$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidOptionError(`The store URL option ${key} must be a positive integer.`);
  }
  return n;
};
const text: Reader = (value, key) => {
  if (value === '') throw new InvalidOptionError(`The store URL option ${key} is empty.`);
  return value;
};
const flag: Reader = (value, key) => {
  if (value === '' || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new InvalidOptionError(`The store URL option ${key} is true or false.`);
};

const COMMON = { timeoutMs: positiveInteger, maxPayloadBytes: positiveInteger };
const SQL = { ...COMMON, table: text, pool: positiveInteger };
const REDIS = { ...COMMON, prefix: text };

/** The query keys each scheme accepts; any other is refused by name. */
const KEYS: Record<StoreScheme, Record<string, Reader>> = {
  memory: { maxPayloadBytes: positiveInteger },
  sqlite: { ...COMMON, table: text },
  file: { ...COMMON, fsync: flag },
  postgres: { ...SQL, schema: text, sslmode: text },
  postgresql: { ...SQL, schema: text, sslmode: text },
  mysql: SQL,
  mariadb: SQL,
  redis: REDIS,
  rediss: REDIS,
  'redis+cluster': REDIS,
  memcached: { timeoutMs: positiveInteger, prefix: text, itemSizeMax: positiveInteger },
};

const DEFAULT_PORTS: Partial<Record<StoreScheme, number>> = {
  postgres: 5432,
  postgresql: 5432,
  mysql: 3306,
  mariadb: 3306,
  redis: 6379,
  rediss: 6379,
  'redis+cluster': 6379,
  memcached: 11211,
};

/** Schemes whose data lives in a local path rather than on a server. */
const LOCAL = new Set<StoreScheme>(['memory', 'sqlite', 'file']);

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new InvalidOptionError(`The store URL's ${what} has a malformed percent escape.`);
  }
}

function parseHost(spec: string, scheme: StoreScheme): HostPort {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]/]+))(?::(\d{1,5}))?$/.exec(spec);
  const host = match?.[1] ?? match?.[2];
  const port = match?.[3] === undefined ? DEFAULT_PORTS[scheme] : Number(match[3]);
  if (!host || port === undefined || port < 1 || port > 65_535) {
    throw new InvalidOptionError(
      `The store URL has a malformed server address; use host:port${scheme === 'memcached' || scheme === 'redis+cluster' ? ',host:port' : ''}.`,
    );
  }
  return { host: host.toLowerCase(), port };
}

function hostText({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Takes a store URL apart and checks it: the scheme, the servers, and the
 * options in the query string (an unknown key is refused by name). Nothing
 * is opened and no package is loaded.
 *
 * @example
 * const url = parseStoreUrl('redis://:secret@127.0.0.1:6379/2?prefix=app:');
 * url.description; // 'redis://127.0.0.1:6379/2?prefix=app:'
 * url.options.prefix; // 'app:'
 */
export function parseStoreUrl(spec: string): StoreUrl {
  if (typeof spec !== 'string' || spec.length === 0) {
    throw new InvalidOptionError('A store URL is a non-empty string such as sqlite:./sessions.db.');
  }
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(spec);
  const scheme = schemeMatch?.[1]?.toLowerCase();
  if (scheme === undefined || !Object.hasOwn(SCHEMES, scheme)) {
    const known = Object.values(SCHEMES).join(' ');
    throw new InvalidOptionError(
      scheme === undefined
        ? `A store URL must be a URL starting with a scheme: ${known}`
        : `The store URL scheme "${scheme}:" is not known; use one of ${known}`,
    );
  }
  const kind = scheme as StoreScheme;
  let rest = spec.slice(scheme.length + 1);
  const hash = rest.indexOf('#');
  if (hash !== -1) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  const query = q === -1 ? '' : rest.slice(q + 1);
  rest = q === -1 ? rest : rest.slice(0, q);

  let authority = '';
  let path = rest;
  if (rest.startsWith('//')) {
    const end = rest.slice(2).search(/\//);
    authority = end === -1 ? rest.slice(2) : rest.slice(2, end + 2);
    path = end === -1 ? '' : rest.slice(end + 2);
  } else if (!LOCAL.has(kind)) {
    throw new InvalidOptionError(`A ${scheme}: URL names its server: ${SCHEMES[kind]}host:port`);
  }

  const at = authority.lastIndexOf('@');
  const userinfo = at === -1 ? '' : authority.slice(0, at);
  const hostPart = at === -1 ? authority : authority.slice(at + 1);
  const colon = userinfo.indexOf(':');
  const secret: Credentials = {
    username: decode(colon === -1 ? userinfo : userinfo.slice(0, colon), 'user name'),
    password: decode(colon === -1 ? '' : userinfo.slice(colon + 1), 'password'),
  };

  let hosts: HostPort[] = [];
  if (LOCAL.has(kind)) {
    if (hostPart !== '' && hostPart !== 'localhost') {
      throw new InvalidOptionError(`A ${scheme}: URL names a local path, not a server.`);
    }
  } else {
    hosts = hostPart === '' ? [] : hostPart.split(',').map((h) => parseHost(h, kind));
    if (hosts.length === 0) {
      throw new InvalidOptionError(`A ${scheme}: URL names its server: ${SCHEMES[kind]}host:port`);
    }
    if (hosts.length > 1 && kind !== 'memcached' && kind !== 'redis+cluster') {
      throw new InvalidOptionError(
        `A ${scheme}: URL names one server; several are for memcached:// and redis+cluster://.`,
      );
    }
  }

  const options = parseQuery(query, kind);
  const decodedPath = decode(path, 'path');
  const local = LOCAL.has(kind);
  if ((kind === 'sqlite' || kind === 'file') && decodedPath === '') {
    throw new InvalidOptionError(
      `A ${scheme}: URL names a ${kind === 'file' ? 'directory' : 'database file'}, e.g. ${scheme}:./sessions${kind === 'file' ? '' : '.db'}`,
    );
  }
  const where =
    kind === 'memory'
      ? 'memory'
      : local && decodedPath !== ':memory:'
        ? resolve(decodedPath)
        : decodedPath;
  const hostList = hosts.map(hostText);
  const canonicalQuery = Object.entries(options)
    .map(([key, value]) => `${key}=${encodeURIComponent(String(value)).replace(/%3A/gi, ':')}`)
    .join('&');
  const shownPath = local ? path : path.replace(/^\/?$/, '');
  const description = `${scheme}:${local ? '' : '//'}${local ? shownPath : `${hostList.join(',')}${shownPath}`}${canonicalQuery ? `?${canonicalQuery}` : ''}`;
  const namespace = namespaceOf(kind, options);
  const url: StoreUrl = {
    scheme: kind,
    hosts,
    path: local ? where : decodedPath,
    options,
    description,
    location: local
      ? `${kind === 'file' ? 'file' : kind}:${where}`
      : `${family(kind)}://${[...hostList].sort().join(',')}${databaseOf(kind, decodedPath)}`,
    namespace,
  };
  credentials.set(url, secret);
  return url;
}

/** The database part of a server location: Redis db 0 is written or not. */
function databaseOf(scheme: StoreScheme, path: string): string {
  if (family(scheme) === 'redis') return `/${path.replace(/^\//, '') || '0'}`;
  return path.replace(/^\/$/, '');
}

function family(scheme: StoreScheme): string {
  if (scheme === 'postgresql') return 'postgres';
  if (scheme === 'mariadb') return 'mysql';
  if (scheme === 'rediss' || scheme === 'redis+cluster') return 'redis';
  return scheme;
}

function namespaceOf(scheme: StoreScheme, options: StoreUrlOptions): string {
  switch (scheme) {
    case 'redis':
    case 'rediss':
    case 'redis+cluster':
      return options.prefix ?? 'sess';
    case 'memcached':
      return options.prefix ?? 'sess:';
    case 'sqlite':
    case 'postgres':
    case 'postgresql':
    case 'mysql':
    case 'mariadb':
      return `${options.schema ? `${options.schema}.` : ''}${options.table ?? 'sess_sessions'}`;
    default:
      return '';
  }
}

function parseQuery(query: string, scheme: StoreScheme): StoreUrlOptions {
  const readers = KEYS[scheme];
  const options: Record<string, unknown> = {};
  if (query === '') return options;
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decode(eq === -1 ? pair : pair.slice(0, eq), 'query').trim();
    const value = decode(eq === -1 ? '' : pair.slice(eq + 1).replace(/\+/g, ' '), 'query');
    const read = Object.hasOwn(readers, key) ? readers[key] : undefined;
    if (read === undefined) {
      const printable = /^[\w.-]{1,40}$/.test(key) ? key : '(unprintable)';
      throw new InvalidOptionError(
        `The store URL option "${printable}" is not known for ${scheme}:; use ${Object.keys(readers).join(', ')}.`,
      );
    }
    if (Object.hasOwn(options, key)) {
      throw new InvalidOptionError(`The store URL option ${key} is given twice.`);
    }
    options[key] = read(value, key);
  }
  return options;
}
