#!/usr/bin/env node
import { redactSecrets } from '@sess/url';
import { EXIT } from './io.js';
import { runCli } from './run.js';

const argv = process.argv.slice(2);
// Whatever a driver or server says, the passwords of the URLs given stay out of it.
const clean = (line: string) => redactSecrets(line, ...argv);
const interrupt = new AbortController();
process.once('SIGINT', () => {
  interrupt.abort();
  process.stderr.write('\nsess: stopping after the batch under way (Ctrl-C again to quit now)\n');
  process.once('SIGINT', () => process.exit(EXIT.interrupted));
});

runCli(argv, {
  out: (line) => process.stdout.write(`${clean(line)}\n`),
  err: (line) => process.stderr.write(`${clean(line)}\n`),
  ...(process.stderr.isTTY ? { tty: process.stderr } : {}),
  stdin: process.stdin,
  signal: interrupt.signal,
}).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(
      `sess: ${clean(error instanceof Error ? error.message : String(error))}\n`,
    );
    process.exitCode = EXIT.failure;
  },
);
