import { createApp } from './app.js';
import { openSessions } from './sessions.js';

const sessions = await openSessions(process.env.SESS_SQLITE ?? './.data/sessions.db');
const app = await createApp(sessions.manager);
app.addHook('onClose', () => sessions.close());
const url = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
console.log(`fastify example: ${url}/me`);
process.once('SIGINT', () => void app.close());
