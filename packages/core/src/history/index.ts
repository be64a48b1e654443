export { History, type SyncRecord, type SyncStatus } from './history.js';
export { redact } from './redact.js';
