import { describe, expect, it } from 'vitest';
import { type MetaReply, type ReplyKind, ReplyParser, ServerReplyError } from '../src/protocol.js';

type Parsed = MetaReply | Map<string, string> | ServerReplyError;

function parseAll(stream: Buffer, kinds: ReplyKind[], chunkSize: number): Parsed[] {
  const replies: Parsed[] = [];
  const parser = new ReplyParser(
    () => kinds[replies.length],
    (reply) => replies.push(reply),
  );
  for (let i = 0; i < stream.length; i += chunkSize) parser.push(stream.subarray(i, i + chunkSize));
  return replies;
}

const value = Buffer.from('line\r\nbreak VA 3 \r\n\u0000end', 'latin1');
const stream = Buffer.concat([
  Buffer.from('STAT item_size_max 1048576\r\nSTAT evictions on\r\nEND\r\n'),
  Buffer.from(`VA ${value.length} c42 f7 t-1\r\n`),
  value,
  Buffer.from('\r\nHD c43\r\nEN\r\nNS\r\nEX\r\nNF\r\nSERVER_ERROR object too large for cache\r\n'),
  Buffer.from('VA 0 c44\r\n\r\nCLIENT_ERROR bad command line format\r\n'),
]);
const kinds: ReplyKind[] = [
  'stats',
  'meta',
  'meta',
  'meta',
  'meta',
  'meta',
  'meta',
  'meta',
  'meta',
  'meta',
];

describe('the reply parser', () => {
  it('reads values holding CRLF and reply codes, stats, and errors, split at every chunk size', () => {
    for (const chunkSize of [1, 2, 3, 5, 7, 64, stream.length]) {
      const replies = parseAll(stream, kinds, chunkSize);
      expect(replies).toHaveLength(10);
      expect(replies[0]).toEqual(
        new Map([
          ['item_size_max', '1048576'],
          ['evictions', 'on'],
        ]),
      );
      const va = replies[1] as MetaReply;
      expect(va.code).toBe('VA');
      expect(va.value?.equals(value)).toBe(true);
      expect(Object.fromEntries(va.flags)).toEqual({ c: '42', f: '7', t: '-1' });
      expect((replies.slice(2, 7) as MetaReply[]).map((r) => r.code)).toEqual([
        'HD',
        'EN',
        'NS',
        'EX',
        'NF',
      ]);
      const tooLarge = replies[7] as ServerReplyError;
      expect(tooLarge).toBeInstanceOf(ServerReplyError);
      expect(tooLarge.desync).toBe(false);
      expect((replies[8] as MetaReply).value?.length).toBe(0);
      expect((replies[9] as ServerReplyError).desync).toBe(true);
    }
  });

  it('waits for a large value without parsing it chunk by chunk', () => {
    const big = Buffer.alloc(1_000_000, 120);
    const replies = parseAll(
      Buffer.concat([Buffer.from(`VA ${big.length}\r\n`), big, Buffer.from('\r\nEN\r\n')]),
      ['meta', 'meta'],
      65_536,
    );
    expect((replies[0] as MetaReply).value?.equals(big)).toBe(true);
    expect((replies[1] as MetaReply).code).toBe('EN');
  });
});
