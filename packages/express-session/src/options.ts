import { InvalidOptionError } from '@sess/core';

/** An integer option of at least `min`, or its default; `InvalidOptionError` names it otherwise. */
export function integerOption(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
): number {
  const chosen = value ?? fallback;
  if (!Number.isSafeInteger(chosen) || chosen < min) {
    throw new InvalidOptionError(`${name} must be an integer of at least ${min}.`);
  }
  return chosen;
}
