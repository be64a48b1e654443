import type { ActivationConfig } from '../config/config.js';
import type { IdentifierRules } from '../contract/dialect.js';
import { ColumnNamer } from '../naming/column-namer.js';
import { presetColumns } from './presets.js';

/** The columns every Storage Actions row has, whatever the mapping (ActionWriter's standard columns). */
const STANDARD = ['id', 'received_at'];

/**
 * The columns an activation's rows have by name, as the warehouse spells them: the standard ones,
 * then a column per top-level key of its mapping (the preset's and its own; one named like a
 * standard column kept as `_<name>`). A key whose values are objects makes further columns
 * (`owner` → `owner_id`), which only its values tell.
 */
export function activationColumns(activation: Pick<ActivationConfig, 'preset' | 'columns'>, rules: IdentifierRules): string[] {
  const names = new ColumnNamer(rules);
  const columns = new Set(STANDARD);
  for (const key of Object.keys({ ...presetColumns(activation.preset), ...activation.columns })) {
    const column = names.column(key);
    columns.add(STANDARD.includes(column) ? names.kept(column) : column);
  }
  return [...columns];
}
