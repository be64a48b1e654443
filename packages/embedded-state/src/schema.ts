/**
 * Tables of the embedded state store. Values and contexts are JSON text, so any value round-trips.
 * No primary keys: DuckDB keeps a key's index in memory whole, which a run of a million profiles
 * with kilobyte contexts cannot afford; runs replace rows by delete and append, set-based, and
 * the keys below are what those statements hold unique. (Files made before keep their keys.)
 */
export const STATE_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS profiles (
     space VARCHAR, profile_id VARCHAR, user_id VARCHAR, anonymous_ids VARCHAR, emails VARCHAR, mobile_ids VARCHAR
     /* key: space, profile_id */)`,
  // When the identifiers a profile holds were stated: the completion time of the run that gave
  // them. A run that completed before it (of another computation: a computation's own runs apply
  // in order) keeps them; rows written before have none, and any run replaces them.
  `ALTER TABLE profiles ADD COLUMN IF NOT EXISTS ids_at VARCHAR`,
  `CREATE TABLE IF NOT EXISTS memberships (
     space VARCHAR, computation VARCHAR, profile_id VARCHAR, kind VARCHAR, value VARCHAR, version BIGINT,
     run_id VARCHAR, updated_at VARCHAR, context VARCHAR
     /* key: space, computation, profile_id */)`,
  // State files written before linked audiences have no context column; statements name their columns.
  `ALTER TABLE memberships ADD COLUMN IF NOT EXISTS context VARCHAR`,
  // A linked audience member's entity context: its text's place in the texts file (ContextStore)
  // and its hash, which is what a run compares. `context` holds the text itself for '{}' and for
  // rows written before (their hash NULL: the next run that states them rewrites them).
  `ALTER TABLE memberships ADD COLUMN IF NOT EXISTS context_hash VARCHAR`,
  `ALTER TABLE memberships ADD COLUMN IF NOT EXISTS context_at BIGINT`,
  `ALTER TABLE memberships ADD COLUMN IF NOT EXISTS context_len BIGINT`,
  // The texts file's generation (it is rewritten when mostly dead) and its committed length.
  `CREATE TABLE IF NOT EXISTS context_file (generation BIGINT, length BIGINT)`,
  // A linked audience member's entities. A row outlives its entity's departure (present = false) so
  // that its version keeps counting: a returning entity gets a new version, hence a new message id.
  `CREATE TABLE IF NOT EXISTS entity_memberships (
     space VARCHAR, computation VARCHAR, profile_id VARCHAR, entity_id VARCHAR, present BOOLEAN, context VARCHAR,
     version BIGINT, run_id VARCHAR, updated_at VARCHAR
     /* key: space, computation, profile_id, entity_id */)`,
  // A present entity's context by reference, as a member's (its text in the texts file); `context`
  // holds the text of rows written before (their hash NULL: the next run that states them rewrites them).
  `ALTER TABLE entity_memberships ADD COLUMN IF NOT EXISTS context_hash VARCHAR`,
  `ALTER TABLE entity_memberships ADD COLUMN IF NOT EXISTS context_at BIGINT`,
  `ALTER TABLE entity_memberships ADD COLUMN IF NOT EXISTS context_len BIGINT`,
  // A run's completion time as its first attempt gave it, until the run is applied: every
  // attempt stamps its changes with it, whatever its own header says.
  `CREATE TABLE IF NOT EXISTS run_attempts (space VARCHAR, computation VARCHAR, run_id VARCHAR, completed_at VARCHAR)`,
  // An interrupted attempt the user gave up (`ApplyOptions.abandonInterrupted`): it no longer
  // refuses other runs, and its time still widens their look for message ids.
  `ALTER TABLE run_attempts ADD COLUMN IF NOT EXISTS abandoned BOOLEAN`,
  // What the attempt held (run-content.ts): a run sent again under its id must hold the same.
  `ALTER TABLE run_attempts ADD COLUMN IF NOT EXISTS content VARCHAR`,
  // The kind each computation's runs were applied as: a changed type is refused by it, without a
  // look through every membership (80 ms at 10,000,000 rows, each run). A computation of a state
  // from before it is looked up in memberships, and recorded by its next run.
  `CREATE TABLE IF NOT EXISTS computation_kinds (space VARCHAR, computation VARCHAR, kind VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS runs (
     space VARCHAR, computation VARCHAR, run_id VARCHAR, kind VARCHAR, completed_at VARCHAR, applied_at VARCHAR,
     profiles BIGINT, changes BIGINT,
     PRIMARY KEY (space, computation, run_id))`,
  // What the run held (run-content.ts): a run sent again under its id must hold the same, or it is
  // another run, refused rather than taken for the one applied. NULL for runs applied before.
  `ALTER TABLE runs ADD COLUMN IF NOT EXISTS content VARCHAR`,
];
