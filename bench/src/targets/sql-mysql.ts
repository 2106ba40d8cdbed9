export { mysqlBackend as backend } from './sql.js';
