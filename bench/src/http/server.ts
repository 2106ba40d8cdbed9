/**
 * One bench server, in its own process so that the load generator does not
 * share its event loop: starts the app its parent names, reports the port,
 * and stops when told.
 */
import { startApp } from './apps.js';
import type { ServerConfig } from './config.js';

const config = JSON.parse(process.argv[2] ?? '{}') as ServerConfig;
const app = await startApp(config);
process.send?.({ port: app.port });
process.on('message', (message) => {
  // CPU time used so far, so the parent can tell what one request costs the server.
  if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  if (message !== 'stop') return;
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
