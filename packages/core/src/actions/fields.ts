/**
 * The fields of the Storage Actions action, shaped like the public warehouse definitions of
 * Segment (`sendCustomEvent` in packages/warehouse-destinations): the table name from the
 * event, a key/value `properties` mapping whose keys are the columns, `messageId` → `id`,
 * `receivedAt` → `received_at`. Stowage adds `schema` (the space's, or an existing one) and the
 * entity-context limit, which its write path needs.
 */
export const sendCustomEventFields = {
  event: {
    label: 'Table Name',
    description: 'The name of the table, in the space\'s schema.',
    type: 'string' as const,
    required: true,
    default: { '@path': '$.event' },
  },
  properties: {
    label: 'Columns',
    description: 'The columns to write: column name → value. Mapped fields are copied into their own columns.',
    type: 'object' as const,
    defaultObjectUI: 'keyvalue' as const,
    required: true,
    additionalProperties: true,
    default: { user_id: { '@path': '$.userId' } },
  },
  messageId: {
    label: 'ID',
    description: 'The unique identifier of the message, written to `id`: a message is written once.',
    type: 'string' as const,
    required: true,
    default: { '@path': '$.messageId' },
    readOnly: true,
  },
  receivedAt: {
    label: 'Received At',
    description: 'Time when the event was received, written to `received_at`.',
    type: 'datetime' as const,
    required: true,
    default: { '@path': '$.receivedAt' },
  },
  schema: {
    label: 'Schema',
    description: "The schema: the space's (created when missing), or an existing schema named by the activation (never created).",
    type: 'string' as const,
    required: true,
    default: { '@path': '$.context.personas.space_name' },
  },
  schemaOverride: {
    label: 'Existing schema',
    description: 'Set when `schema` names an existing schema instead of the space\'s: Stowage then refuses to create it.',
    type: 'boolean' as const,
    default: false,
  },
  maxEntityContextBytes: {
    label: 'Entity context limit (bytes)',
    description: 'An event whose `entity_context` column is larger than this is not written; it is quarantined with the reason.',
    type: 'integer' as const,
    default: 32 * 1024,
  },
};

/** Default columns of the Linked Audience presets (and of profile audiences written by an activation). */
export const audienceColumns = {
  entity_context: { '@json': { mode: 'encode', value: { '@path': '$.properties.data_graph_entity_context' } } },
  user_id: { '@path': '$.userId' },
  audience_key: { '@path': '$.properties.audience_key' },
  personas_computation_key: { '@path': '$.context.personas.computation_key' },
  personas_computation_id: { '@path': '$.context.personas.computation_id' },
  personas_computation_run_id: { '@path': '$.context.personas.computation_run_id' },
  personas_activation_id: { '@path': '$.context.personas.event_emitter_id' },
  event_name: { '@path': '$.event' },
};

/** Default columns of the Journeys preset. */
export const journeyColumns = {
  journey_metadata: { '@json': { mode: 'encode', value: { '@path': '$.properties.journey_metadata' } } },
  journey_context: { '@json': { mode: 'encode', value: { '@path': '$.properties.journey_context' } } },
  user_id: { '@path': '$.userId' },
  personas_computation_key: { '@path': '$.context.personas.computation_key' },
  personas_computation_id: { '@path': '$.context.personas.computation_id' },
  personas_activation_id: { '@path': '$.context.personas.event_emitter_id' },
  personas_computation_class: { '@path': '$.context.personas.computation_class' },
  event_name: { '@path': '$.event' },
};
