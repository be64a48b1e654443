import type { Call } from '../calls/call.js';
import type { ClassicSettings, ComputationConfig } from '../config/config.js';
import { stableHash } from '../naming/stable-hash.js';
import { changeIdParts, type Change, type MobileId } from '../runs/run.js';

interface Target {
  userId?: string;
  anonymousId?: string;
  device?: MobileId;
}

/**
 * Who gets a call for a change: the userId; without one, each anonymousId when anonymous users
 * are included (none otherwise); and, when mobile ids are included, each of those once per
 * mobile id, carrying it in `context.device`.
 */
function targets(change: Change, settings: ClassicSettings): Target[] {
  const { profile } = change;
  const base: Target[] = profile.userId
    ? [{ userId: profile.userId }]
    : settings.includeAnonymous
      ? profile.anonymousIds.map((anonymousId) => ({ anonymousId }))
      : [];
  if (!settings.includeMobileIds || profile.mobileIds.length === 0) return base;
  return base.flatMap((t) => profile.mobileIds.map((device) => ({ ...t, device })));
}

/**
 * The identify and track calls of the spec for one change. Message ids are derived from the
 * change's version (and its state's epoch), so replaying a run after a crash, or a backfill of
 * the same state, produces the same ids and the warehouse loads each call once, while a state
 * begun anew makes ids of its own.
 */
export function callsFromChange(change: Change, computation: ComputationConfig, settings: ClassicSettings, spaceId: string, receivedAt: string): Call[] {
  const isAudience = computation.type === 'audience';
  const value = isAudience ? change.kind === 'entered' : change.value;
  const calls: Call[] = [];
  for (const target of targets(change, settings)) {
    // As Segment's Engage documents its payloads (`trait`, and the space id as `namespace` too).
    const context: Record<string, unknown> = {
      personas: {
        computation_class: isAudience ? 'audience' : 'trait',
        computation_id: computation.id,
        computation_key: computation.key,
        computation_run_id: change.runId,
        namespace: spaceId,
        space_id: spaceId,
      },
    };
    if (target.device) context.device = { advertisingId: target.device.id, type: target.device.type };
    const common = {
      ...(target.userId ? { userId: target.userId } : {}),
      ...(target.anonymousId ? { anonymousId: target.anonymousId } : {}),
      context,
      // sentAt = receivedAt, so Segment's formula gives timestamp = originalTimestamp = when the run completed.
      originalTimestamp: change.at,
      sentAt: receivedAt,
      receivedAt,
    };
    const id = (kind: string) =>
      stableHash([change.space, computation.key, change.profile.profileId, ...changeIdParts(change), kind, target.userId ?? '', target.anonymousId ?? '', target.device?.id ?? ''].join('\u0000'), 32);
    if (settings.identify) calls.push({ type: 'identify', messageId: id('identify'), traits: { [computation.key]: value }, ...common });
    if (settings.track) {
      const event = !isAudience ? settings.computedEvent : change.kind === 'entered' ? settings.enteredEvent : settings.exitedEvent;
      const properties = isAudience ? { audience_key: computation.key, [computation.key]: value } : { trait_key: computation.key, [computation.key]: value };
      calls.push({ type: 'track', messageId: id('track'), event, properties, ...common });
    }
  }
  return calls;
}
