import { connectRedis } from './support/legacy.js';
import { liveMigration } from './support/live-migration.js';

liveMigration('connect-redis on Redis', connectRedis);
