import assert from 'node:assert/strict';
import { expectOk, expectRecord } from '../assert.js';
import { defineTests } from './define.js';

/** One character from every Unicode plane in use, plus combining, RTL and astral text. */
const EVERY_PLANE = [
  'ascii ~',
  'é ß ü ñ',
  '中文 日本語 한국어',
  'مرحبا שלום',
  'e\u0301 a\u0308',
  '\uFFFD \uFEFF',
  '\u{1F600} \u{1F468}\u200D\u{1F469}\u200D\u{1F467}',
  '\u{20000} \u{2A6D6}',
  '\u{30000}',
  '\u{E0001} \u{E007F}',
  '\u{F0000} \u{10FFFD}',
].join(' | ');

/** Payloads a store might be tempted to parse, trim, or terminate early. */
const AWKWARD_PAYLOADS = [
  '{"a":1}',
  '[1,2,3]',
  'null',
  'true',
  '"quoted"',
  '0',
  '',
  ' ',
  ' padded ',
  'a\u0000b',
  '\u0000',
  'line\nbreak\r\nend\n',
  '\t tab',
  'back\\slash',
  "' OR 1=1 --",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a payload that only looks like a template
  '%s %d $1 ${x}',
  'nil',
  '\r',
];

export const roundTripTests = defineTests({
  'round trip: a record comes back as written, with its version': {
    async run(t) {
      const id = t.newId();
      const record = t.record('hello', 'user-1');
      const version = expectOk(await t.store.create(id, record), 'create');
      expectRecord(
        await t.store.get(id),
        { ...record, version },
        t.capabilities.ttlResolutionMs,
        'get after create',
      );
    },
  },
  'round trip: an unknown id reads as null': {
    async run(t) {
      assert.equal(await t.store.get(t.newId()), null, 'get of an id never written');
    },
  },
  'round trip: an empty payload comes back empty': {
    async run(t) {
      const id = t.newId();
      expectOk(await t.store.create(id, t.record('')), 'create');
      const read = await t.store.get(id);
      assert.equal(read?.data, '');
    },
  },
  'round trip: a payload of exactly maxPayloadBytes comes back whole': {
    async run(t) {
      const id = t.newId();
      const size = t.capabilities.maxPayloadBytes;
      // A repeating pattern, so a truncated or shifted copy cannot pass.
      const pattern = 'abcdefghijklmnopqrstuvwxyz0123456789';
      const data = pattern.repeat(Math.ceil(size / pattern.length)).slice(0, size);
      expectOk(await t.store.create(id, t.record(data)), 'create');
      const read = await t.store.get(id);
      assert.ok(read, 'the record is missing');
      assert.equal(read.data.length, size, 'the payload came back with another length');
      assert.ok(read.data === data, 'the payload came back altered');
    },
  },
  'round trip: text from every Unicode plane survives': {
    async run(t) {
      const id = t.newId();
      expectOk(await t.store.create(id, t.record(EVERY_PLANE)), 'create');
      assert.equal((await t.store.get(id))?.data, EVERY_PLANE, 'characters of every Unicode plane');
    },
  },
  'round trip: payloads that look like JSON or hold NUL and newlines are kept verbatim': {
    async run(t) {
      const written = AWKWARD_PAYLOADS.map((data) => ({ id: t.newId(), data }));
      await Promise.all(
        written.map(async ({ id, data }) =>
          expectOk(await t.store.create(id, t.record(data)), 'create'),
        ),
      );
      for (const { id, data } of written) {
        assert.equal((await t.store.get(id))?.data, data, `payload ${JSON.stringify(data)}`);
      }
    },
  },
  'round trip: userId is kept, and absent when none was given': {
    async run(t) {
      const withUser = t.newId();
      const without = t.newId();
      const userId = `ü:${'x'.repeat(200)}/*?[]{} \u{1F600}`;
      expectOk(await t.store.create(withUser, t.record('a', userId)), 'create with userId');
      expectOk(await t.store.create(without, t.record('b')), 'create without userId');
      assert.equal((await t.store.get(withUser))?.userId, userId, 'userId was not kept');
      assert.equal(
        (await t.store.get(without))?.userId,
        undefined,
        'a record written without userId came back with one',
      );
    },
  },
});
