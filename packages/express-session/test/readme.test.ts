import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRedis } from '@sess/test-servers';
import { it } from 'vitest';

const root = join(import.meta.dirname, '..');

it('the README opens with an example that runs, in 15 lines or fewer', async () => {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const first = /^# .+\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(first, 'the README opens with a TypeScript example');
  assert.ok(first.trimEnd().split('\n').length <= 15);
  const server = await startRedis();
  // Inside the package, so the example's imports resolve as they would in an app.
  const file = join(root, 'test', `.readme-example-${process.pid}.ts`);
  try {
    // Against the source and a private Redis; then the example's own client is closed.
    const source = first
      .replace("'redis://127.0.0.1:6379'", `'${server.url}'`)
      .replace("from '@sess/express-session'", `from '${join(root, 'src', 'index.ts')}'`);
    await writeFile(
      file,
      `${source}\nexport const opened = { store, app };\nawait client.close();\n`,
    );
    process.env.SESSION_SECRET ??= 'readme';
    const { opened } = (await import(file)) as { opened: { store: unknown; app: unknown } };
    const { SessStore } = await import('../src/index.js');
    assert.ok(opened.store instanceof SessStore);
    assert.equal(typeof opened.app, 'function');
  } finally {
    await rm(file, { force: true });
    await server.dispose();
  }
});
