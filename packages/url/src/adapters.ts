import { InvalidOptionError } from '@sess/core';

/** The packages a scheme needs, for the message when one is missing. */
export type Install = readonly string[];

function isMissing(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    message.includes(`'${name}`)
  );
}

/**
 * Imports an optional package at run time. When it is not installed the
 * error is one line naming what to install; any other failure to load it
 * (a broken install) is passed on.
 */
export async function load<Module>(name: string, what: string, install: Install): Promise<Module> {
  try {
    // A computed specifier: the package is optional and resolved only when used.
    return (await import(name)) as Module;
  } catch (error) {
    if (!isMissing(error, name)) throw error;
    throw new InvalidOptionError(
      `${what} needs the package ${name}, which is not installed: npm install ${install.join(' ')}`,
    );
  }
}
