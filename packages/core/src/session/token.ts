import { hash, randomBytes } from 'node:crypto';

/**
 * Session tokens: what the cookie holds. The store never sees one; it sees
 * `sessionIdOf(token)`, the SHA-256 of the token, so a dump of the store
 * (Redis keys, a table, a directory) holds nothing a browser could present.
 *
 * Why no constant-time comparison is needed anywhere: the lookup by id in the
 * store (a hash table, a B-tree index, a file name) may well take time that
 * depends on how much of a guessed id matches a real one. But an attacker
 * chooses tokens, not ids, and the id is a SHA-256 of the token: learning that
 * a guessed id shares a prefix with a live id tells nothing about which token
 * would extend that prefix (that would take a preimage). Timing leaks about
 * ids therefore never add up to a token, and no secret is ever compared in
 * JavaScript.
 */

/** Random bytes in a token: 256 bits, the floor. */
export const TOKEN_BYTES = 32;

// base64url of 32..96 bytes is 43..128 characters.
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43,128}$/;

/** A new token: `bytes` from the CSPRNG, base64url without padding. */
export function createToken(bytes = TOKEN_BYTES): string {
  return randomBytes(bytes).toString('base64url');
}

/** True when `token` could be one `createToken` made; anything else is not looked up. */
export function isWellFormedToken(token: unknown): token is string {
  return typeof token === 'string' && TOKEN_SHAPE.test(token);
}

/**
 * The store id of a token: SHA-256, base64url (43 characters, a valid
 * session id). One-way, so the id can be listed, logged or shown to its owner.
 *
 * @example
 * // An admin tool ending the session behind a cookie value:
 * await store.destroy(sessionIdOf(cookieValue));
 */
export function sessionIdOf(token: string): string {
  return hash('sha256', token, 'base64url');
}
