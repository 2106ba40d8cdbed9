#!/usr/bin/env node
import { runCli } from './cli-run.js';

runCli(process.argv.slice(2), process.env, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
}).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(`sess-sql: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
