import { InvalidOptionError } from '@sess/core';

/**
 * Table and schema names reach DDL and every statement as identifiers, which
 * cannot be bound as parameters. They are held to a charset that needs no
 * escaping in any dialect and short enough that the index names derived from
 * them stay under PostgreSQL's 63-byte limit.
 */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/;

/** Throws `InvalidOptionError` unless `name` is a plain SQL identifier. */
export function assertIdentifier(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    const got = typeof name === 'string' ? `a string of length ${name.length}` : typeof name;
    throw new InvalidOptionError(
      `${what} must be 1 to 48 characters of A-Z, a-z, 0-9 and "_", not starting with a digit; got ${got}.`,
    );
  }
}
