export type { CorruptRecordEvent, FileStoreEvents } from './events.js';
export { FileStore } from './file-store.js';
export type { FileStoreOptions } from './options.js';
export type { FileSweepReport } from './sweep-report.js';
