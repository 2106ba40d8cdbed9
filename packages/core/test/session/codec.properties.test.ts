import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSessionCodec, type SessionData, SessionDataError } from '../../src/index.js';
import { FORBIDDEN_KEYS } from '../../src/session/codec.js';

// Roomy limits: these properties are about shapes, not sizes.
const codec = createSessionCodec({ maxBytes: 16 * 1024 * 1024, maxDepth: 64 });
const encodeDecode = (data: SessionData) => codec.decode(codec.encode(data), codec.format);

const key = fc
  .oneof(fc.string({ maxLength: 8 }), fc.constantFrom('~', 'v', '~o', 'toString', 'hasOwnProperty'))
  .filter((k) => !FORBIDDEN_KEYS.has(k));

/** Everything the codec promises to give back as it was. */
const { storable } = fc.letrec<{ storable: unknown; leaf: unknown }>((tie) => ({
  leaf: fc.oneof(
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.double(), // NaN, ±Infinity and -0 included
    fc.bigInt(),
    fc.date({ noInvalidDate: true }),
  ),
  storable: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('leaf'),
    fc.array(tie('storable'), { maxLength: 5 }),
    fc.dictionary(key, tie('storable'), { maxKeys: 5, noNullPrototype: true }),
    fc.array(fc.tuple(tie('storable'), tie('storable')), { maxLength: 4 }).map((e) => new Map(e)),
    fc.array(tie('storable'), { maxLength: 4 }).map((items) => new Set(items)),
  ),
}));

// Decoded objects always have Object.prototype (documented), so inputs do too.
const session = fc.dictionary(key, storable, {
  maxKeys: 6,
  noNullPrototype: true,
}) as fc.Arbitrary<SessionData>;

class Point {
  constructor(readonly x: number) {}
}

/** Values the codec could not give back as they were. */
const unstorable = fc.oneof(
  fc.constant(() => 1),
  fc.constant(Symbol('s')),
  fc.constant(new Point(1)),
  fc.constant(new Uint8Array(2)),
  fc.constant({ [Symbol('k')]: 1 }),
  fc.constantFrom(...FORBIDDEN_KEYS).map((k) => JSON.parse(`{${JSON.stringify(k)}: 1}`)),
  fc.constant(
    (() => {
      const cycle: Record<string, unknown> = {};
      cycle.self = cycle;
      return cycle;
    })(),
  ),
);

/** Puts `value` inside layers of arrays, objects, maps and sets. */
function bury(value: unknown, layers: readonly ('array' | 'object' | 'map' | 'set')[]): unknown {
  return layers.reduce<unknown>((inner, layer) => {
    switch (layer) {
      case 'array':
        return [1, inner];
      case 'object':
        return { a: 1, inner };
      case 'map':
        return new Map([['k', inner]]);
      default:
        return new Set([inner]);
    }
  }, value);
}

describe('the default codec, on generated data', () => {
  it('gives back every storable session as it was', () => {
    fc.assert(
      fc.property(session, (data) => {
        expect(encodeDecode(data)).toStrictEqual(data);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses, with SessionDataError, data holding anything it could not give back, however deep', () => {
    fc.assert(
      fc.property(
        session,
        key,
        unstorable,
        fc.array(fc.constantFrom('array', 'object', 'map', 'set'), { maxLength: 4 }),
        (data, at, poison, layers) => {
          const poisoned = { ...data, [at]: bury(poison, layers) };
          expect(() => codec.encode(poisoned)).toThrow(SessionDataError);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('decodes any string into plain data or SessionDataError, and never reaches a prototype', () => {
    const tagged = fc
      .array(
        fc.oneof(
          fc.string({ maxLength: 6 }),
          fc.constantFrom(
            '{"~":"',
            '"m","v":[',
            '"__proto__"',
            '"constructor"',
            '{',
            '}',
            '[',
            ']',
            ',',
            ':',
          ),
        ),
        { maxLength: 16 },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), tagged), (payload) => {
        let decoded: unknown;
        try {
          decoded = codec.decode(payload, codec.format);
        } catch (error) {
          expect(error).toBeInstanceOf(SessionDataError);
          return;
        }
        expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 2_000 },
    );
  });
});
