import { LOOPBACK, startRedis } from '@sess/test-servers';
import { STANDALONE_CLIENTS } from './support/clients.js';
import { describeConformance } from './support/conformance.js';

async function standalone() {
  const server = await startRedis();
  return {
    nodes: [{ host: LOOPBACK, port: server.port }],
    kill: () => server.kill(),
    start: () => server.start(),
    dispose: () => server.dispose(),
  };
}

for (const name of STANDALONE_CLIENTS) describeConformance(name, 'standalone', standalone);
