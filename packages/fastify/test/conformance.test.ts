import { runGlueConformance } from '@sess/http/conformance';
import { describe, it } from 'vitest';
import { type CookiePlugin, startFastify } from './support/app.js';

for (const cookiePlugin of ['none', 'before', 'after'] satisfies CookiePlugin[]) {
  const title =
    cookiePlugin === 'none'
      ? 'Fastify 5'
      : `Fastify 5 with @fastify/cookie registered ${cookiePlugin}`;
  describe(title, () => {
    runGlueConformance({ test: it, start: (app) => startFastify(app, cookiePlugin) });
  });
}
