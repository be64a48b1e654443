import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ComputationConfig } from '../config/config.js';
import { replaceFile } from '../process/replace-file.js';

type ValueType = NonNullable<ComputationConfig['valueType']>;

/**
 * The `valueType` of each computed trait of a space, as the configuration that applied its latest
 * run declared it. A trait's column is made at the first sync of its calls, often by another
 * process than the run's (`stowage serve`, which reads its configuration once): one started
 * before the trait was configured made the column from the first value instead (`12`: a bigint
 * on which Redshift quarantines every later fraction; `"12"`: a varchar for good). The run that
 * logs the calls records the type first, and the sync takes it where its own configuration
 * declares none.
 */
export class RunValueTypes {
  constructor(private readonly stateDir: string) {}

  /** Records the trait's type as the run's configuration declares it (none: forgotten). Written only when it changes. */
  record(space: string, computation: ComputationConfig): void {
    if (computation.type !== 'trait') return;
    const path = this.path(space);
    const types = read(path);
    if (recordedFor(types, computation.key) === computation.valueType) return;
    const { [computation.key]: _, ...others } = types;
    try {
      write(path, computation.valueType === undefined ? others : { ...others, [computation.key]: computation.valueType });
    } catch {
      // A full or read-only disk: the run meets it as it logs its calls, and says so there.
    }
  }

  /**
   * The space's computations, each trait with the type its latest run recorded where the
   * configuration declares none, and those it does not list (configured since it was read) with theirs.
   */
  withRecorded(space: string, computations: readonly ComputationConfig[]): Array<Pick<ComputationConfig, 'key' | 'valueType'>> {
    const recorded = read(this.path(space));
    const own = computations.map((c) => {
      const type = recordedFor(recorded, c.key);
      return c.valueType === undefined && c.type === 'trait' && type !== undefined ? { key: c.key, valueType: type } : c;
    });
    const known = new Set(computations.map((c) => c.key));
    return [...own, ...Object.entries(recorded).filter(([key]) => !known.has(key)).map(([key, valueType]) => ({ key, valueType }))];
  }

  private path(space: string): string {
    return join(this.stateDir, 'runs', 'value-types', `${encodeURIComponent(space)}.json`);
  }
}

/**
 * The type recorded for a trait, looked up among the record's own keys: a trait keyed like a member
 * every object has (`constructor`, `toString`) found Object.prototype's function, taken for its
 * type, and every sync of its space failed.
 */
function recordedFor(types: Record<string, ValueType>, key: string): ValueType | undefined {
  return Object.hasOwn(types, key) ? types[key] : undefined;
}

/** The types a configuration may declare (`valueType`): a file edited by hand gives no other to a column. */
const VALUE_TYPES: ReadonlySet<string> = new Set<ValueType>(['double', 'bigint', 'string', 'boolean', 'timestamp']);

function read(path: string): Record<string, ValueType> {
  if (!existsSync(path)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    // A torn file (a crash mid-write where rename is not atomic): the configuration's types alone, as before.
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, ValueType] => typeof entry[1] === 'string' && VALUE_TYPES.has(entry[1])));
}

function write(path: string, types: Record<string, ValueType>): void {
  replaceFile(path, JSON.stringify(types));
}
