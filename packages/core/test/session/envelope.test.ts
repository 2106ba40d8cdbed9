import { describe, expect, it } from 'vitest';
import { readEnvelope, SessionDataError } from '../../src/index.js';
import { writeEnvelope } from '../../src/session/envelope.js';

const base = {
  format: 'tjson/1',
  createdAt: 1_700_000_000_000,
  absoluteExpiresAt: 1_700_604_800_000,
};

describe('the record envelope', () => {
  it('keeps a session without a lifetime of its own in the original four-field header', () => {
    const data = writeEnvelope({ ...base, payload: '{"a":1}' });
    expect(data).toBe('sess/1 tjson/1 1700000000000 1700604800000\n{"a":1}');
    expect(readEnvelope(data)).toEqual({ ...base, payload: '{"a":1}' });
  });

  it('round-trips a session lifetime as optional name=value fields', () => {
    const envelope = {
      ...base,
      idleTimeoutMs: 1_800_000,
      persistent: false as const,
      payload: '{}',
    };
    const data = writeEnvelope(envelope);
    expect(data.slice(0, data.indexOf('\n'))).toBe(
      'sess/1 tjson/1 1700000000000 1700604800000 idle=1800000 persistent=0',
    );
    expect(readEnvelope(data)).toEqual(envelope);
  });

  it('ignores header fields it does not know, and refuses a malformed idle timeout', () => {
    const header = 'sess/1 tjson/1 1700000000000 1700604800000';
    expect(readEnvelope(`${header} later=field idle=5\n{}`)).toEqual({
      ...base,
      idleTimeoutMs: 5,
      payload: '{}',
    });
    for (const idle of ['idle=', 'idle=0', 'idle=-5', 'idle=1e3']) {
      expect(() => readEnvelope(`${header} ${idle}\n{}`), idle).toThrow(SessionDataError);
    }
  });
});
