import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const readme = await readFile(join(root, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('\n## Sessions\n'));
const examples = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
const dir = await mkdtemp(join(tmpdir(), 'sess-readme-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the Sessions section of the README runs', () => {
  it('has examples', ({ expect }) => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
  });

  for (const [i, example] of examples.entries()) {
    const title = example.split('\n').find((line) => line.startsWith('//')) ?? `example ${i + 1}`;
    it(`example ${i + 1}: ${title}`, async () => {
      // The examples import the package by name; here they run against the source.
      const source = example.replaceAll(
        "from '@sess/core'",
        `from '${join(root, 'src', 'index.ts')}'`,
      );
      const file = join(dir, `example-${i}.ts`);
      await writeFile(file, `${source}\nexport {};\n`);
      await import(file);
    });
  }
});
