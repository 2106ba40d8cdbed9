import { defineConfig } from 'tsup';

// An app, not a library: one ESM entry, run by `npm start`.
export default defineConfig({
  entry: { main: 'src/main.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
});
