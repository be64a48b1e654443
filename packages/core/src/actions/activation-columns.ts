import type { ActivationConfig } from '../config/config.js';
import type { IdentifierRules } from '../contract/dialect.js';
import { ColumnNamer } from '../naming/column-namer.js';
import { presetColumns } from './presets.js';

/** The columns every Storage Actions row has, whatever the mapping (ActionWriter's standard columns). */
const STANDARD = ['id', 'received_at'];

/**
 * Whether a key's mapping gives a value stored in a column of the key's own name: a literal other
 * than an object, or text (`@json` encode, `@template`). Any other directive (`@path`, `@if`…)
 * may give an object, flattened into columns named by its leaves (`owner` → `owner_id`).
 */
function namesItsColumn(mapping: unknown): boolean {
  if (mapping === null || typeof mapping !== 'object') return true;
  if (Array.isArray(mapping)) return false;
  const directive = mapping as Record<string, unknown>;
  const json = directive['@json'] as { mode?: unknown } | undefined;
  return '@template' in directive || (json !== undefined && json.mode === 'encode');
}

/**
 * The columns an activation's rows surely have, as the warehouse spells them: the standard ones,
 * the preset's, and one per key of its own mapping whose value is stored under the key's name
 * (`namesItsColumn`; one named like a standard column kept as `_<name>`).
 */
export function activationColumns(activation: Pick<ActivationConfig, 'preset' | 'columns'>, rules: IdentifierRules): string[] {
  const names = new ColumnNamer(rules);
  const columns = new Set(STANDARD);
  const preset = presetColumns(activation.preset);
  for (const [key, mapping] of Object.entries({ ...preset, ...activation.columns })) {
    if (!(key in preset && preset[key] === mapping) && !namesItsColumn(mapping)) continue;
    const column = names.column(key);
    columns.add(STANDARD.includes(column) ? names.kept(column) : column);
  }
  return [...columns];
}
