export { actionsCore, defaultValues, fieldsToJsonSchema, IntegrationError } from './actions-core.js';
export { ActionWriter, MissingSchemaError, otherCaseHint, type ActionPayload, type ActionWriteResult, type PayloadResult, type RunIdsLook } from './action-writer.js';
export { withStorageActions, bindActionWriter, type ActionSession } from './definition.js';
export { eventFromChange, type ActionEvent } from './events.js';
export { sendCustomEventFields, audienceColumns, journeyColumns } from './fields.js';
export { PRESETS, presetColumns, type StoragePreset } from './presets.js';
export { activationColumns } from './activation-columns.js';
export { scopeViolation } from './scope.js';
