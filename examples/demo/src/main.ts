import { startDemo } from './server.js';

const port = process.env.PORT === undefined ? 3000 : Number(process.env.PORT);

try {
  const demo = await startDemo({
    port,
    ...(process.env.SESS_STORE ? { storeUrl: process.env.SESS_STORE } : {}),
    trustProxy: process.env.TRUST_PROXY === '1',
  });
  console.log(`sess demo: open ${demo.url} (sessions in ${demo.storeDescription})`);
  const stop = () => {
    demo.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(`sess demo: ${(error as Error).message}`);
  process.exitCode = 1;
}
