import type { ActivationConfig, ComputationConfig, SpaceConfig } from '../config/config.js';
import { stableHash } from '../naming/stable-hash.js';
import { JsonText } from '../runs/json-text.js';
import { changeIdParts, type Change } from '../runs/run.js';
import { exactJsonText, mayHoldLongIntegers } from '../types/exact-json-text.js';

/** A Segment-spec track event, as Engage sends one to a Storage Actions destination. */
export interface ActionEvent {
  type: 'track';
  event: string;
  messageId: string;
  userId?: string;
  anonymousId?: string;
  timestamp: string;
  receivedAt: string;
  properties: Record<string, unknown>;
  context: { personas: Record<string, unknown> };
}

/** `context.personas.computation_class`: an audience's and a trait's as Segment's Engage documents them (`trait`, not `computed_trait`). */
const CLASS: Record<ComputationConfig['type'], string> = { audience: 'audience', trait: 'trait', linked_audience: 'linked_audience', journey_step: 'journey_step' };

/** The event name an activation writes for a kind of change; undefined for changes it does not write. */
function eventName(change: Change, activation: ActivationConfig): string | undefined {
  switch (change.kind) {
    case 'entered':
      return activation.events.entered;
    case 'exited':
      return activation.events.exited;
    case 'entity_added':
      return activation.events.entityAdded;
    case 'entity_removed':
      return activation.events.entityRemoved;
    case 'step_entered':
      return activation.events.stepEntered;
    default:
      return undefined;
  }
}

/**
 * The track event of one change for one activation. Its message id names the change for good
 * (activation, computation, profile, entity, version, state epoch), so a run replayed after a crash, or an
 * event written twice, lands one row; two activations of one change land one row each.
 */
export function eventFromChange(change: Change, activation: ActivationConfig, computation: ComputationConfig, space: SpaceConfig): ActionEvent | undefined {
  const event = eventName(change, activation);
  if (event === undefined) return undefined;
  const { profile } = change;
  const messageId = stableHash([activation.id, change.space, computation.key, profile.profileId, change.entityId ?? '', change.kind, ...changeIdParts(change)].join('\u0000'), 32);
  const properties: Record<string, unknown> =
    computation.type === 'journey_step'
      ? // A run that gives no context leaves the key out, so its column is NULL rather than the text `null`.
        { ...(change.journeyContext != null ? { journey_context: change.journeyContext } : {}), ...(change.journeyMetadata != null ? { journey_metadata: change.journeyMetadata } : {}) }
      : { audience_key: computation.key, data_graph_entity_context: change.entityContext ?? {}, ...(change.entityId !== undefined ? { entity_id: change.entityId } : {}) };
  return {
    type: 'track',
    event,
    messageId,
    ...(profile.userId ? { userId: profile.userId } : {}),
    ...(profile.anonymousIds[0] ? { anonymousId: profile.anonymousIds[0] } : {}),
    // The run's completion time: the same on every replay of the run, unlike the time of writing.
    timestamp: change.at,
    receivedAt: change.at,
    properties,
    context: {
      personas: {
        computation_class: CLASS[computation.type],
        computation_id: computation.id,
        computation_key: computation.key,
        computation_run_id: change.runId,
        namespace: space.id,
        space_id: space.id,
        space_name: space.name,
        event_emitter_id: activation.id,
      },
    },
  };
}

/** The properties of an event that carry JSON text (`JsonText`) from the profile state. */
const TEXT_PROPERTIES = ['data_graph_entity_context', 'journey_context', 'journey_metadata'] as const;

/**
 * An event read back from the Storage Actions queue, its entity context, journey context and
 * metadata carried as JSON text again, as the event of a run's change carries them: the queue
 * holds them parsed, and mapping-kit's `@json` encode of a value writes an integer past 2^53 with
 * JavaScript's shortest digits (2^60 as `1152921504606847000`), where the state's text, and a
 * write that did not wait in the queue, has its own (`withJsonTexts`).
 */
export function eventFromQueue(event: ActionEvent): ActionEvent {
  const properties = event.properties as Record<string, unknown> | undefined;
  if (typeof properties !== 'object' || properties === null) return event;
  let texts: Record<string, unknown> | undefined;
  for (const key of TEXT_PROPERTIES) {
    const v = properties[key];
    if (v === undefined || v === null || v instanceof JsonText) continue;
    texts ??= { ...properties };
    texts[key] = new JsonText(exactJsonText(v));
  }
  return texts ? { ...event, properties: texts } : event;
}

/** The event as mapping-kit reads it: JSON texts among its properties replaced by their values. */
export function materializeEvent(event: ActionEvent): ActionEvent {
  const properties = event.properties as Record<string, unknown> | undefined;
  if (typeof properties !== 'object' || properties === null || !Object.values(properties).some((v) => v instanceof JsonText)) return event;
  const plain: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(properties)) plain[key] = v instanceof JsonText ? v.value : v;
  return { ...event, properties: plain };
}

/**
 * A payload mapping-kit made, its JSON fields as the event's own texts: mapping-kit encodes a
 * field (`@json`) with JSON.stringify of the value it read, which writes an integer past 2^53
 * with JavaScript's shortest digits (`1152921504606847000` for 2^60). A field that is that
 * encoding of one of the event's JSON texts (the entity context) is given the text itself, as
 * the compiled mapping gives it.
 */
export function withJsonTexts(event: ActionEvent, payload: Record<string, unknown>): Record<string, unknown> {
  const texts = Object.values((event.properties ?? {}) as Record<string, unknown>).filter((v): v is JsonText => v instanceof JsonText && mayHoldLongIntegers(v.text) && v.reencoded !== v.text);
  const properties = payload.properties as Record<string, unknown> | undefined;
  if (texts.length === 0 || typeof properties !== 'object' || properties === null) return payload;
  for (const [key, v] of Object.entries(properties)) {
    const text = typeof v === 'string' ? texts.find((t) => t.reencoded === v) : undefined;
    if (text) properties[key] = text.text;
  }
  return payload;
}
