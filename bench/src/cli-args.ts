/**
 * The command's own arguments. `pnpm bench -- --rounds 3` hands the script a
 * leading `--`, which `parseArgs` would take as the end of the options.
 */
export function cliArgs(): string[] {
  const args = process.argv.slice(2);
  return args[0] === '--' ? args.slice(1) : args;
}
