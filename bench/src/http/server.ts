/**
 * One app process of the HTTP bench (see ../app-process.ts): starts the app
 * its parent names and serves it until told to stop.
 *
 *   tsx server.ts <config as JSON>
 */
import { serveAppProcess } from '../app-process.js';
import { startApp } from './apps.js';
import type { ServerConfig } from './config.js';

const config = JSON.parse(process.argv[2] ?? '{}') as ServerConfig;
const app = await startApp(config);
serveAppProcess(app.port, () => app.close());
