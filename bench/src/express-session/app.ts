/**
 * One app process of the express-session bench: an Express app with
 * express-session over one target's store, on a free loopback port.
 *
 *   tsx app.ts <backend> <target> <reach as JSON>
 *
 * It tells the bench its port over IPC, answers "cpu" with the CPU time it
 * has used, and stops on "stop".
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import session from 'express-session';
import { BACKENDS } from './backends.js';

declare module 'express-session' {
  interface SessionData {
    user: { id: number; name: string; email: string; roles: string[] };
    cart: Array<{ sku: string; quantity: number; price: number }>;
  }
}

const [backendName, target, reach] = process.argv.slice(2);
const backend = BACKENDS.find((b) => b.name === backendName);
if (!backend || !target || !backend.targets.includes(target) || reach === undefined) {
  throw new Error(
    `Usage: app.ts <backend> <target> <reach>; got ${process.argv.slice(2).join(' ')}`,
  );
}
const { store, close } = await backend.open(target, JSON.parse(reach) as Record<string, string>);

const app = express();
app.use(
  session({
    store,
    secret: 'bench secret',
    resave: false,
    saveUninitialized: false,
    cookie: { maxAge: 3_600_000 },
  }),
);
let visitors = 0;
// A login puts a user in the session (about 350 bytes stored, with the cookie).
app.post('/login', (req, res) => {
  const id = ++visitors;
  req.session.user = {
    id,
    name: `Visitor ${id}`,
    email: `visitor${id}@example.com`,
    roles: ['customer', 'newsletter'],
  };
  req.session.cart = [];
  res.json({ id });
});
// A page that reads the session and leaves it unchanged: express-session touches it.
app.get('/page', (req, res) => {
  res.json({ name: req.session.user?.name ?? null, items: req.session.cart?.length ?? 0 });
});
// A change: express-session saves the whole session.
app.post('/cart', (req, res) => {
  const cart = req.session.cart ?? [];
  cart.push({ sku: `sku-${cart.length}`, quantity: 1, price: 9.99 });
  req.session.cart = cart.slice(-3);
  res.json({ items: req.session.cart.length });
});

const server = app.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on('message', (message) => {
  // The CPU this process has used, in microseconds: the bench takes it before and after a run.
  if (message === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpuUs: user + system });
    return;
  }
  if (message !== 'stop') return;
  server.closeAllConnections();
  server.close(() => {
    void close().finally(() => process.exit(0));
  });
});
