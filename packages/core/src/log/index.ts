export { CallLog, type BatchCut, type LogBatch } from './call-log.js';
export { withFileLock } from './file-lock.js';
export { comparePositions, LOG_START, type LogPosition } from './position.js';
