import { runGlueConformance } from '@sess/http/conformance';
import express from 'express';
import express4 from 'express4';
import { describe, it } from 'vitest';
import { startConnect, startExpress } from './support/apps.js';

describe('Express 5', () => {
  runGlueConformance({ test: it, start: (app) => startExpress(express, app) });
});

describe('Express 4', () => {
  runGlueConformance({ test: it, start: (app) => startExpress(express4, app) });
});

describe('Connect', () => {
  // Connect has no trust-proxy setting: Secure follows the socket (or secure: true).
  runGlueConformance({
    test: it,
    start: startConnect,
    skip: {
      'proxy: Secure behind a trusted proxy, and X-Forwarded-Proto ignored without trust':
        'Connect has no trust-proxy setting; behind a TLS proxy, set cookie.secure: true',
    },
  });
});
