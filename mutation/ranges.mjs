import { readFileSync } from 'node:fs';
import ts from 'typescript';

/**
 * Splits the lines of a class (and the file's top-level functions) in two
 * sets of Stryker `mutate` ranges (`file:start-end`): the lines of the named
 * members and the lines matching `pattern` on one side, every other line on
 * the other. The file is parsed, so the ranges follow the code when lines
 * move; a member name that is not found fails the run.
 *
 * @param {string} file path from the repository root
 * @param {string} className
 * @param {{ members: readonly string[], pattern: RegExp }} apart
 * @returns {{ apart: string[], rest: string[] }}
 */
export function splitClass(file, className, { members, pattern }) {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest);
  const line = (pos) => source.getLineAndCharacterOfPosition(pos).line + 1;
  const span = (node) => [line(node.getStart(source)), line(node.getEnd())];

  const all = [];
  const named = new Map();
  for (const statement of source.statements) {
    if (ts.isFunctionDeclaration(statement)) all.push(span(statement));
    if (ts.isClassDeclaration(statement) && statement.name?.text === className) {
      for (const member of statement.members) {
        all.push(span(member));
        const name = ts.isConstructorDeclaration(member)
          ? 'constructor'
          : member.name?.getText(source);
        if (name !== undefined) named.set(name, span(member));
      }
    }
  }
  const missing = members.filter((name) => !named.has(name));
  if (missing.length > 0) throw new Error(`${file}: no ${missing.join(', ')} in ${className}`);

  const lines = text.split('\n');
  const isApart = (n) =>
    pattern.test(lines[n - 1]) ||
    members.some((name) => {
      const [from, to] = named.get(name);
      return n >= from && n <= to;
    });
  const apart = [];
  const rest = [];
  for (const [from, to] of all) {
    for (let n = from; n <= to; n++) (isApart(n) ? apart : rest).push(n);
  }
  return { apart: toRanges(file, apart), rest: toRanges(file, rest) };
}

function toRanges(file, numbers) {
  const ranges = [];
  for (const n of [...new Set(numbers)].sort((a, b) => a - b)) {
    const last = ranges.at(-1);
    if (last && n === last[1] + 1) last[1] = n;
    else ranges.push([n, n]);
  }
  return ranges.map(([from, to]) => `${file}:${from}-${to}`);
}
