import { startPostgres } from '@sess/test-servers';
import { connectPgSimple } from './support/legacy.js';
import { liveMigration } from './support/live-migration.js';

// A private server: 10,000 sessions written many times over are not for the shared one.
liveMigration('connect-pg-simple on PostgreSQL', async () => {
  const server = await startPostgres();
  const fixture = await connectPgSimple(server.url);
  return {
    ...fixture,
    async close() {
      await fixture.close();
      await server.dispose();
    },
  };
});
