import { runGlueConformance } from '@sess/http/conformance';
import { describe, it } from 'vitest';
import { startHono } from './support/app.js';

describe('Hono on @hono/node-server', () => {
  runGlueConformance({ test: it, start: startHono });
});
