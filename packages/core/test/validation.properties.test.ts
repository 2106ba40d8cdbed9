import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidSessionIdError, InvalidUserIdError } from '../src/index.js';
import {
  assertSessionId,
  assertUserId,
  isValidSessionId,
  MAX_USER_ID_LENGTH,
} from '../src/store-kit/index.js';

const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Strings near the rules' edges: the id charset with a stranger mixed in, lengths around the limits. */
const candidate = fc.oneof(
  fc.string({ maxLength: 140 }),
  fc.string({ unit: 'binary', maxLength: 140 }),
  fc
    .tuple(
      fc.string({ unit: fc.constantFrom(...ID_CHARS), minLength: 0, maxLength: 130 }),
      fc.string({ maxLength: 2 }),
      fc.nat(),
    )
    .map(([ids, stranger, at]) => {
      const i = at % (ids.length + 1);
      return ids.slice(0, i) + stranger + ids.slice(i);
    }),
);

const hasLoneSurrogate = (text: string) =>
  [...text].some((char) => {
    const code = char.charCodeAt(0);
    return char.length === 1 && code >= 0xd800 && code <= 0xdfff;
  });

describe('id and user id rules, on generated strings', () => {
  it('a session id is valid exactly when it is 1 to 128 characters of A-Z a-z 0-9 - _', () => {
    fc.assert(
      fc.property(candidate, (id) => {
        const expected =
          id.length >= 1 && id.length <= 128 && [...id].every((c) => ID_CHARS.includes(c));
        expect(isValidSessionId(id)).toBe(expected);
        if (expected) {
          expect(() => assertSessionId(id)).not.toThrow();
        } else {
          expect(() => assertSessionId(id)).toThrow(InvalidSessionIdError);
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it('a refused id or user id is described, never echoed, in the error', () => {
    fc.assert(
      fc.property(
        // Fenced, so that an echo is the whole value, never a few characters
        // that happen to read like words of the message (" len").
        candidate.map((s) => `~${s}~`),
        (text) => {
          const checks: Array<(value: unknown) => void> = [assertSessionId, assertUserId];
          for (const check of checks) {
            try {
              check(text);
            } catch (error) {
              expect((error as Error).message.includes(text)).toBe(false);
            }
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('a user id is valid exactly when it is 1 to 256 UTF-16 units of well-formed text', () => {
    const userIds = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({ unit: fc.constantFrom('a', '\uD83D', '\uDE00', '\uD83D\uDE00'), maxLength: 8 }),
      fc.string({ minLength: 250, maxLength: 260 }),
    );
    fc.assert(
      fc.property(userIds, (userId) => {
        const expected =
          userId.length >= 1 && userId.length <= MAX_USER_ID_LENGTH && !hasLoneSurrogate(userId);
        if (expected) expect(() => assertUserId(userId)).not.toThrow();
        else expect(() => assertUserId(userId)).toThrow(InvalidUserIdError);
      }),
      { numRuns: 3_000 },
    );
  });
});
