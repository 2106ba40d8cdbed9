import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type MetaReply, type ReplyKind, ReplyParser, ServerReplyError } from '../src/protocol.js';

type Parsed = MetaReply | Map<string, string> | ServerReplyError;

/** Feeds `stream` to a fresh parser cut at `cuts`, and returns what it reported. */
function parse(stream: Buffer, kinds: readonly ReplyKind[], cuts: readonly number[]): Parsed[] {
  const replies: Parsed[] = [];
  // Every reply ends a line: more replies than lines means the parser went
  // back over its input (and, left alone, would loop forever).
  const lines = stream.toString('latin1').split('\r\n').length - 1;
  const parser = new ReplyParser(
    () => kinds[replies.length] ?? 'meta',
    (reply) => {
      replies.push(reply);
      if (replies.length > lines) throw new Error(`${replies.length} replies from ${lines} lines`);
    },
  );
  let from = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    if (cut <= from || cut >= stream.length) continue;
    parser.push(stream.subarray(from, cut));
    from = cut;
  }
  parser.push(stream.subarray(from));
  return replies;
}

/** A reply as a server would send it, with what the parser must make of it. */
interface Model {
  readonly kind: ReplyKind;
  readonly wire: Buffer;
  readonly expected: Parsed;
}

const flagToken = fc
  .tuple(fc.constantFrom('c', 'f', 't', 's', 'k', 'O'), fc.stringMatching(/^[0-9a-z-]{0,12}$/))
  .map(([letter, value]) => `${letter}${value}`);

const header = fc.uniqueArray(flagToken, { maxLength: 4, selector: (token) => token[0] });

const meta: fc.Arbitrary<Model> = fc
  .tuple(fc.constantFrom('HD', 'EN', 'NS', 'EX', 'NF', 'MN'), header)
  .map(([code, flags]) => ({
    kind: 'meta',
    wire: Buffer.from(`${[code, ...flags].join(' ')}\r\n`, 'latin1'),
    expected: { code, flags: new Map(flags.map((f) => [f[0], f.slice(1)])) } as MetaReply,
  }));

// Values hold any bytes, reply codes and CRLF included.
const value: fc.Arbitrary<Model> = fc
  .tuple(fc.uint8Array({ maxLength: 300 }), header)
  .map(([bytes, flags]) => {
    const body = Buffer.from(bytes);
    return {
      kind: 'meta',
      wire: Buffer.concat([
        Buffer.from(`${['VA', String(body.length), ...flags].join(' ')}\r\n`, 'latin1'),
        body,
        Buffer.from('\r\n'),
      ]),
      expected: {
        code: 'VA',
        flags: new Map(flags.map((f) => [f[0], f.slice(1)])),
        value: body,
      } as MetaReply,
    };
  });

const stats: fc.Arbitrary<Model> = fc
  .uniqueArray(
    fc.tuple(fc.stringMatching(/^[a-z_]{1,16}$/), fc.stringMatching(/^[0-9a-z]{0,10}$/)),
    { maxLength: 6, selector: ([name]) => name },
  )
  .map((pairs) => ({
    kind: 'stats',
    wire: Buffer.from(
      `${pairs.map(([name, v]) => `STAT ${name} ${v}\r\n`).join('')}END\r\n`,
      'latin1',
    ),
    expected: new Map(pairs),
  }));

/**
 * Random bytes, and lines made of the parser's own words with numbers that
 * are negative, huge or not numbers at all: uniform bytes alone almost never
 * spell `VA -5`.
 */
const noise: fc.Arbitrary<Buffer> = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
      fc
        .array(
          fc.oneof(
            fc.constantFrom(
              'VA',
              'HD',
              'EN',
              'STAT',
              'END',
              'ERROR',
              'SERVER_ERROR',
              'CLIENT_ERROR',
            ),
            fc.integer({ min: -20, max: 400 }).map(String),
            fc.constantFrom('', 'x', '1e3', '99999999999', 'c42', 't-1'),
          ),
          { minLength: 1, maxLength: 4 },
        )
        .map((tokens) => Buffer.from(`${tokens.join(' ')}\r\n`, 'latin1')),
    ),
    { maxLength: 12 },
  )
  .map((parts) => Buffer.concat(parts));

describe('the reply parser, on generated input', () => {
  it('parses any sequence of well-formed replies the same way, however the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(meta, value, stats), { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (models, cutsFrom) => {
          const stream = Buffer.concat(models.map((m) => m.wire));
          const cuts = cutsFrom.map((n) => n % (stream.length + 1));
          const replies = parse(
            stream,
            models.map((m) => m.kind),
            cuts,
          );
          expect(replies).toEqual(models.map((m) => m.expected));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('turns random bytes into replies or errors, one per line at most, and stops at a framing error', () => {
    fc.assert(
      fc.property(
        noise,
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.array(fc.constantFrom<ReplyKind>('meta', 'stats'), { maxLength: 20 }),
        (stream, cutsFrom, kinds) => {
          const cuts = cutsFrom.map((n) => n % (stream.length + 1));
          const replies = parse(stream, kinds, cuts);
          for (const [i, reply] of replies.entries()) {
            const ok =
              reply instanceof Map ||
              reply instanceof ServerReplyError ||
              ['VA', 'HD', 'EN', 'NS', 'EX', 'NF', 'MN'].includes(reply.code);
            expect(ok).toBe(true);
            // Nothing is reported after an error that broke framing.
            if (reply instanceof ServerReplyError && reply.desync) {
              expect(i).toBe(replies.length - 1);
            }
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('refuses a VA size that is negative, not a number or beyond 1 GiB, instead of looping or waiting for it', () => {
    for (const size of ['-5', 'abc', '', '1e3', '99999999999', '0x10']) {
      const replies = parse(Buffer.from(`VA ${size}\r\nHD\r\nEN\r\n`, 'latin1'), [], []);
      expect(replies, size).toHaveLength(1);
      expect(replies[0], size).toBeInstanceOf(ServerReplyError);
      expect((replies[0] as ServerReplyError).desync, size).toBe(true);
    }
  });
});
