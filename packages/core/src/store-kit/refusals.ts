import type { WriteFailure, WriteResult } from '../contract.js';

/** A refused write: what `create` and `update` return instead of throwing. */
export type Refusal = Extract<WriteResult, { ok: false }>;

/**
 * The three refusals, frozen, so a store returns the same value every time
 * and no caller can change it for the next.
 *
 * @example
 * if (current === undefined) return refused.missing;
 * if (ifVersion !== undefined && current.version !== ifVersion) return refused.conflict;
 */
export const refused: { readonly [reason in WriteFailure]: Refusal } = Object.freeze({
  exists: Object.freeze({ ok: false, reason: 'exists' }),
  missing: Object.freeze({ ok: false, reason: 'missing' }),
  conflict: Object.freeze({ ok: false, reason: 'conflict' }),
});
