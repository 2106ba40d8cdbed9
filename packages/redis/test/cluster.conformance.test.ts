import { startRedisCluster } from '@sess/test-servers';
import { CLIENTS } from './support/clients.js';
import { describeConformance } from './support/conformance.js';

for (const name of CLIENTS) describeConformance(name, 'cluster', () => startRedisCluster(3));
