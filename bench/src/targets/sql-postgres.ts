export { postgresBackend as backend } from './sql.js';
