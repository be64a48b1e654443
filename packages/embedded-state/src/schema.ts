/** Tables of the embedded state store. Values are JSON text, so any trait value round-trips. */
export const STATE_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS profiles (
     space VARCHAR, profile_id VARCHAR, user_id VARCHAR, anonymous_ids VARCHAR, emails VARCHAR, mobile_ids VARCHAR,
     PRIMARY KEY (space, profile_id))`,
  `CREATE TABLE IF NOT EXISTS memberships (
     space VARCHAR, computation VARCHAR, profile_id VARCHAR, kind VARCHAR, value VARCHAR, version BIGINT,
     run_id VARCHAR, updated_at VARCHAR,
     PRIMARY KEY (space, computation, profile_id))`,
  `CREATE TABLE IF NOT EXISTS runs (
     space VARCHAR, computation VARCHAR, run_id VARCHAR, kind VARCHAR, completed_at VARCHAR, applied_at VARCHAR,
     profiles BIGINT, changes BIGINT,
     PRIMARY KEY (space, computation, run_id))`,
];
