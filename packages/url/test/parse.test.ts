import { InvalidOptionError } from '@sess/core';
import { describe, expect, it } from 'vitest';
import { load } from '../src/adapters.js';
import { parseStoreUrl, redactSecrets } from '../src/index.js';

describe('parseStoreUrl', () => {
  it('reads each scheme: servers, path and options', () => {
    expect(parseStoreUrl('redis://127.0.0.1:6380/2?prefix=app:&timeoutMs=500')).toMatchObject({
      scheme: 'redis',
      hosts: [{ host: '127.0.0.1', port: 6380 }],
      path: '/2',
      options: { prefix: 'app:', timeoutMs: 500 },
      location: 'redis://127.0.0.1:6380/2',
      namespace: 'app:',
    });
    expect(parseStoreUrl('memcached://a:11211,[::1]:11212').hosts).toEqual([
      { host: 'a', port: 11211 },
      { host: '::1', port: 11212 },
    ]);
    expect(parseStoreUrl('postgres://db/app?table=s&schema=web').namespace).toBe('web.s');
    expect(parseStoreUrl('mysql://db').hosts).toEqual([{ host: 'db', port: 3306 }]);
    expect(parseStoreUrl('sqlite:./x.db').path).toMatch(/\/x\.db$/);
    expect(parseStoreUrl('sqlite:///var/x.db').path).toBe('/var/x.db');
    expect(parseStoreUrl('file:./sessions?fsync').options).toEqual({ fsync: true });
    expect(parseStoreUrl('memory:').scheme).toBe('memory');
  });

  it('names the same sessions the same way, whatever the spelling', () => {
    const a = parseStoreUrl('redis://127.0.0.1:6379');
    const b = parseStoreUrl('redis://127.0.0.1:6379/0?prefix=sess');
    expect([a.location, a.namespace]).toEqual([b.location, b.namespace]);
    expect(parseStoreUrl('postgresql://h/db').location).toBe(
      parseStoreUrl('postgres://h:5432/db').location,
    );
  });

  it('refuses an unknown scheme, an unknown or repeated key, a bad value', () => {
    expect(() => parseStoreUrl('mongodb://h')).toThrow(/"mongodb:" is not known/);
    expect(() => parseStoreUrl('not a url')).toThrow(InvalidOptionError);
    expect(() => parseStoreUrl('redis://h?prefx=a')).toThrow(/"prefx" is not known for redis:/);
    expect(() => parseStoreUrl('redis://h?table=a')).toThrow(/"table" is not known/);
    expect(() => parseStoreUrl('sqlite:x.db?prefix=a')).toThrow(/"prefix" is not known/);
    expect(() => parseStoreUrl('redis://h?prefix=a&prefix=b')).toThrow(/given twice/);
    expect(() => parseStoreUrl('redis://h?timeoutMs=soon')).toThrow(/positive integer/);
    expect(() => parseStoreUrl('redis://a:1,b:2')).toThrow(/names one server/);
    expect(() => parseStoreUrl('redis://h:99999')).toThrow(/malformed server/);
    expect(() => parseStoreUrl('postgres:db')).toThrow(/names its server/);
    expect(() => parseStoreUrl('sqlite:')).toThrow(/names a database file/);
  });

  it('keeps credentials out of every printable field', () => {
    const url = parseStoreUrl('redis://admin:s3cr%40t@127.0.0.1:6379?prefix=a:');
    const shown = JSON.stringify(url);
    expect(shown).not.toContain('s3cr');
    expect(shown).not.toContain('admin');
    expect(url.description).toBe('redis://127.0.0.1:6379?prefix=a:');
  });

  it('redactSecrets blanks a password as written and percent-encoded', () => {
    const spec = 'postgres://app:p%40ss-word@db/app';
    expect(redactSecrets('failed: p@ss-word and p%40ss-word', spec)).toBe('failed: *** and ***');
    expect(redactSecrets(`url ${spec}`, spec)).toBe('url ***');
    expect(redactSecrets('nothing secret', 'redis://h')).toBe('nothing secret');
  });

  it('names the packages to install when an adapter is missing', async () => {
    const failure = await load('@sess/not-installed', 'redis://h:6379', [
      '@sess/not-installed',
      'redis',
    ]).catch((error: Error) => error);
    expect(failure).toBeInstanceOf(InvalidOptionError);
    expect((failure as Error).message).toBe(
      'redis://h:6379 needs the package @sess/not-installed, which is not installed: npm install @sess/not-installed redis',
    );
  });
});
