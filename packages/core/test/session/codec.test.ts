import { describe, expect, it } from 'vitest';
import {
  createSessionCodec,
  defaultSessionCodec,
  MemoryStore,
  PayloadTooLargeError,
  SessionDataError,
  SessionManager,
  sessionIdOf,
  TAGGED_JSON_FORMAT,
} from '../../src/index.js';

const codec = defaultSessionCodec;
const roundTrip = (data: Record<string, unknown>) => codec.decode(codec.encode(data), codec.format);

describe('the default codec', () => {
  it('round-trips Date, BigInt, Map, Set and nested plain objects and arrays', () => {
    const data = {
      when: new Date('2024-02-29T12:34:56.789Z'),
      invalid: new Date(Number.NaN),
      big: 12345678901234567890123n,
      negative: -5n,
      map: new Map<unknown, unknown>([
        ['a', 1],
        [2, new Date(0)],
        [{ k: 1 }, new Set([1n])],
      ]),
      set: new Set(['x', new Map([['deep', [1, { z: new Date(1) }]]])]),
      nested: { a: [1, 'two', null, true, { b: { c: [[], {}] } }], empty: {} },
      numbers: [0, -1.5, Number.MAX_SAFE_INTEGER, Number.NaN, Number.POSITIVE_INFINITY, -0],
      missing: undefined,
      sparse: [1, undefined, 3],
      text: 'ü\u{1F600}"\\\n',
    };
    const back = roundTrip(data);
    expect(back).toStrictEqual(data);
    expect(Object.is((back.numbers as number[])[5], -0)).toBe(true);
    expect(back.when).toBeInstanceOf(Date);
    expect(back.map).toBeInstanceOf(Map);
    expect(typeof back.big).toBe('bigint');
  });

  it('writes ordinary data as plain JSON', () => {
    const data = { user: 'alice', cart: [{ sku: 'a', qty: 2 }], flags: { beta: true } };
    expect(codec.encode(data)).toBe(JSON.stringify(data));
    expect(codec.format).toBe(TAGGED_JSON_FORMAT);
  });

  it('keeps objects that use the tag key unambiguous', () => {
    const data = {
      looksTagged: { '~': 'd', v: 0 },
      nested: [{ '~': 'o', v: [['__proto__', 1]] }],
      tilde: { '~': new Date(5) },
    };
    expect(roundTrip(data)).toStrictEqual(data);
  });

  it('writes shared references twice (not a cycle)', () => {
    const shared = { n: 1 };
    const back = roundTrip({ a: shared, b: [shared, shared] });
    expect(back).toStrictEqual({ a: { n: 1 }, b: [{ n: 1 }, { n: 1 }] });
  });

  it('accepts null-prototype objects and gives back ordinary ones', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    const back = roundTrip({ bare });
    expect(back.bare).toEqual({ a: 1 });
    expect(Object.getPrototypeOf(back.bare)).toBe(Object.prototype);
  });

  it.each([
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a symbol key', { [Symbol('k')]: 1 }],
    ['a class instance', new (class Point {})()],
    ['a RegExp', /x/],
    ['a typed array', new Uint8Array(2)],
    ['a Date subclass', new (class Stamp extends Date {})()],
    ['a Promise', Promise.resolve()],
    ['a WeakMap', new WeakMap()],
    ['an Error', new Error('x')],
  ])('refuses %s with SessionDataError', (_, value) => {
    expect(() => codec.encode({ value })).toThrow(SessionDataError);
    expect(() => codec.encode({ deep: [{ value }] })).toThrow(SessionDataError);
  });

  it('refuses cycles through objects, arrays, maps and sets', () => {
    const object: Record<string, unknown> = {};
    object.self = object;
    const array: unknown[] = [];
    array.push([array]);
    const map = new Map<string, unknown>();
    map.set('m', { map });
    const set = new Set<unknown>();
    set.add([set]);
    for (const value of [object, array, map, set]) {
      expect(() => codec.encode({ value })).toThrow(/cycle/);
    }
  });

  it('names the top-level key in its errors, never the data', () => {
    expect(() => codec.encode({ cart: [{ price: () => 'secret-value' }] })).toThrow(
      /key "cart" holds a function/,
    );
    try {
      codec.encode({ cart: [{ secret: 'hunter2', f: () => 1 }] });
    } catch (error) {
      expect(String(error)).not.toContain('hunter2');
    }
  });

  it('refuses __proto__, constructor and prototype keys when encoding', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const value = JSON.parse(`{"${key}": {"polluted": true}}`);
      expect(() => codec.encode({ nested: value })).toThrow(SessionDataError);
    }
  });

  it('refuses __proto__, constructor and prototype keys when decoding, and pollutes nothing', () => {
    const attacks = [
      '{"__proto__":{"polluted":true}}',
      '{"a":{"__proto__":{"polluted":true}}}',
      '{"a":[{"constructor":{"prototype":{"polluted":true}}}]}',
      '{"a":{"prototype":1}}',
      '{"a":{"~":"o","v":[["__proto__",{"polluted":true}]]}}',
      '{"a":{"~":"m","v":[["k",{"__proto__":{"polluted":true}}]]}}',
      '{"a":{"~":"s","v":[{"constructor":1}]}}',
    ];
    for (const payload of attacks) {
      expect(() => codec.decode(payload, codec.format)).toThrow(SessionDataError);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('refuses malformed tags and payloads that are not an object', () => {
    const bad = [
      'not json',
      '[]',
      '"text"',
      'null',
      '{"a":{"~":"d","v":"yesterday"}}',
      '{"a":{"~":"b","v":"1.5"}}',
      '{"a":{"~":"n","v":"42"}}',
      '{"a":{"~":"m","v":[[1]]}}',
      '{"a":{"~":"s","v":{}}}',
      '{"a":{"~":"o","v":[[1,2]]}}',
      '{"a":{"~":"zz"}}',
    ];
    for (const payload of bad) {
      expect(() => codec.decode(payload, codec.format)).toThrow(SessionDataError);
    }
  });

  it('reads only the formats it knows', () => {
    expect(() => codec.decode('{}', 'tjson/2')).toThrow(SessionDataError);
  });

  it('enforces its size limit in UTF-8 bytes', () => {
    const small = createSessionCodec({ maxBytes: 100 });
    expect(() => small.encode({ s: 'x'.repeat(80) })).not.toThrow();
    const error = (() => {
      try {
        small.encode({ s: 'é'.repeat(80) }); // 80 characters, 160 bytes
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect((error as PayloadTooLargeError).limit).toBe(100);
  });

  it('enforces a nesting limit both ways', () => {
    const shallow = createSessionCodec({ maxDepth: 5 });
    let deep: unknown = 1;
    for (let i = 0; i < 6; i++) deep = [deep];
    expect(() => shallow.encode({ deep })).toThrow(/deeper/);
    expect(() => shallow.decode('{"a":[[[[[[1]]]]]]}', shallow.format)).toThrow(SessionDataError);
    expect(() =>
      codec.decode(`{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`, codec.format),
    ).toThrow(SessionDataError);
  });
});

describe('records written today stay readable', () => {
  // A record exactly as this version writes it. Later versions of the codec
  // and the envelope must keep loading it: do not change this fixture, add
  // new ones beside it.
  const createdAt = 1_700_000_000_000;
  const fixture = `sess/1 tjson/1 ${createdAt} ${createdAt + 7 * 86_400_000}\n{"visits":3,"seen":{"~":"d","v":1700000000000},"tags":{"~":"s","v":["a","b"]},"big":{"~":"b","v":"9007199254740993"}}`;

  it('a sess/1 tjson/1 record loads with its data and dates', async () => {
    const now = createdAt + 60_000;
    const store = new MemoryStore({ now: () => now });
    const token = 'A'.repeat(43);
    await store.create(sessionIdOf(token), {
      data: fixture,
      expiresAt: now + 60_000,
      userId: 'u1',
    });
    const manager = new SessionManager({ store, now: () => now });
    const session = await manager.load(token);
    expect(session.isNew).toBe(false);
    expect(session.createdAt).toBe(createdAt);
    expect(session.userId).toBe('u1');
    expect(session.get('visits')).toBe(3);
    expect(session.get('seen')).toEqual(new Date(createdAt));
    expect(session.get('tags')).toEqual(new Set(['a', 'b']));
    expect(session.get('big')).toBe(9007199254740993n);
  });

  it('header fields added later are ignored by this reader', async () => {
    const now = createdAt + 60_000;
    const store = new MemoryStore({ now: () => now });
    const token = 'B'.repeat(43);
    const [header, payload] = [
      fixture.slice(0, fixture.indexOf('\n')),
      fixture.slice(fixture.indexOf('\n') + 1),
    ];
    await store.create(sessionIdOf(token), {
      data: `${header} future-field=1\n${payload}`,
      expiresAt: now + 60_000,
    });
    const session = await new SessionManager({ store, now: () => now }).load(token);
    expect(session.get('visits')).toBe(3);
  });

  it('an unknown envelope version or a broken header loads as a fresh session', async () => {
    const now = createdAt + 60_000;
    const store = new MemoryStore({ now: () => now });
    const manager = new SessionManager({ store, now: () => now });
    const broken = [
      fixture.replace('sess/1', 'sess/9'),
      fixture.replace(`${createdAt} `, 'soon '),
      fixture.replace('\n', ' '),
      '{"visits":3}',
    ];
    for (const [i, data] of broken.entries()) {
      const token = String.fromCharCode(67 + i).repeat(43);
      await store.create(sessionIdOf(token), { data, expiresAt: now + 60_000 });
      expect((await manager.load(token)).isNew).toBe(true);
    }
  });
});
