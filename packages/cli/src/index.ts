export { type CliIo, EXIT } from './io.js';
export { runCli } from './run.js';
