import type { ActionWriter, ActionPayload, ActionWriteResult, PayloadResult } from './action-writer.js';
import { actionsCore, defaultValues, IntegrationError } from './actions-core.js';
import { encodedColumns, JSON_TEXT_COLUMNS, jsonTextsAsJson } from './entity-context-json.js';
import { sendCustomEventFields } from './fields.js';
import { PRESETS } from './presets.js';

/** An open write session on one warehouse, for a caller of the definition outside Stowage's engine. */
export interface ActionSession {
  writer: ActionWriter;
  close(): Promise<void>;
}

/**
 * Writers the engine has open, by the settings object it hands to actions-core: performBatch
 * receives that same object, so Stowage's runs write through the engine's session (and its
 * history), while any other caller of the definition gets a session of its own.
 */
const bound = new WeakMap<object, ActionWriter>();

/** Makes the action write through `writer` for calls made with this `settings` object; returns the unbinding. */
export function bindActionWriter(settings: object, writer: ActionWriter): () => void {
  bound.set(settings, writer);
  return () => bound.delete(settings);
}

/**
 * The caller's payloads, their JSON text columns held to JSON text as an activation's are: a value
 * a `@json` encode of the mapping gave (the presets') is kept, any other is written as its JSON
 * (`jsonTextsAsJson`). The mapping is actions-core's `rawMapping`, and the events its `rawData`
 * (one event for perform, the batch's for performBatch, whose payloads are the events' in order
 * where none was refused, else matched by message id); a payload given without a mapping holds
 * values, none an encode's.
 */
function asJsonTexts(mapped: ActionPayload[], rawMapping: unknown, rawData: unknown): ActionPayload[] {
  const properties = (rawMapping as { properties?: unknown } | undefined)?.properties;
  const columns = typeof properties === 'object' && properties !== null && !Array.isArray(properties) ? (properties as Record<string, unknown>) : {};
  const events = Array.isArray(rawData) ? (rawData as unknown[]) : [rawData];
  const eventOf = (payload: ActionPayload, i: number): unknown =>
    events.length === mapped.length ? events[i] : events.find((e) => (e as { messageId?: unknown } | null)?.messageId === payload.messageId);
  return mapped.map((payload, i) => {
    const encoded = encodedColumns(columns, eventOf(payload, i));
    return jsonTextsAsJson(payload, JSON_TEXT_COLUMNS.filter((column) => !encoded.has(column)));
  });
}

async function write(settings: object, payloads: ActionPayload[], open: (settings: never) => Promise<ActionSession>): Promise<ActionWriteResult> {
  const writer = bound.get(settings);
  if (writer) return writer.write(payloads);
  const session = await open(settings as never);
  try {
    return await session.writer.write(payloads);
  } finally {
    await session.close();
  }
}

const errorType = (r: Extract<PayloadResult, { ok: false }>) => (r.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'PAYLOAD_VALIDATION_FAILED');

/**
 * Adds the Storage Actions action and its presets to a destination's `@segment/actions-core`
 * definition. Unlike Segment's public warehouse definitions, perform and performBatch really
 * write: through the shared table writer, reporting each event's result.
 */
export function withStorageActions<T extends object, S extends object>(base: T, open: (settings: S) => Promise<ActionSession>) {
  const sendCustomEvent = {
    title: 'Send Custom Event',
    description: "Appends one row per event to a table of the space's schema: the mapped columns, the message id as `id`, `received_at`.",
    fields: sendCustomEventFields,
    defaultSubscription: 'type = "track"',
    perform: async (_request: unknown, { payload, settings, rawMapping, rawData }: { payload: ActionPayload; settings: S; rawMapping?: unknown; rawData?: unknown }) => {
      const { results } = await write(settings, asJsonTexts([payload], rawMapping, rawData), open as never);
      const result = results[0]!;
      if (!result.ok) throw new IntegrationError(result.reason, errorType(result), result.status);
      return { schema: result.schema, table: result.table };
    },
    performBatch: async (_request: unknown, { payload, settings, rawMapping, rawData }: { payload: ActionPayload[]; settings: S; rawMapping?: unknown; rawData?: unknown }) => {
      const { results } = await write(settings, asJsonTexts(payload, rawMapping, rawData), open as never);
      const response = new (actionsCore().MultiStatusResponse)();
      results.forEach((result, i) => {
        if (result.ok) response.setSuccessResponseAtIndex(i, { status: 200, sent: { id: payload[i]!.messageId }, body: { schema: result.schema, table: result.table } });
        else response.setErrorResponseAtIndex(i, { status: result.status, errortype: errorType(result), errormessage: result.reason, sent: { id: payload[i]!.messageId } });
      });
      return response;
    },
  };
  const defaults = defaultValues(sendCustomEventFields as never);
  return {
    ...base,
    presets: PRESETS.map((p) => ({
      name: p.name,
      partnerAction: 'sendCustomEvent',
      mapping: { ...defaults, properties: p.columns },
      type: 'specificEvent' as const,
      eventSlug: p.eventSlug,
    })),
    actions: { sendCustomEvent },
  };
}
