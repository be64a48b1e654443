import type { PresetName } from '../config/config.js';
import { audienceColumns, journeyColumns } from './fields.js';

/** The Storage Actions presets, as the public definitions list them: a name, the event it answers, the default columns. */
export interface StoragePreset {
  name: string;
  /** The Engage event that triggers it. */
  eventSlug: string;
  columns: Record<string, unknown>;
}

export const PRESETS: readonly StoragePreset[] = [
  { name: 'Linked Audience Profile Entered', eventSlug: 'warehouse_audience_entered_track', columns: audienceColumns },
  { name: 'Linked Audience Profile Exited', eventSlug: 'warehouse_audience_exited_track', columns: audienceColumns },
  { name: 'Linked Audience Entity Added', eventSlug: 'warehouse_entity_added_track', columns: audienceColumns },
  { name: 'Linked Audience Associated Entity Removed', eventSlug: 'warehouse_entity_removed_track', columns: audienceColumns },
  { name: 'Journeys Step Entered', eventSlug: 'journeys_step_entered_track', columns: journeyColumns },
];

/** The default columns an activation's preset gives its table. */
export function presetColumns(preset: PresetName): Record<string, unknown> {
  return preset === 'journey-step' ? journeyColumns : audienceColumns;
}
