/**
 * Redshift's TEXT is VARCHAR(256), which would refuse longer traits, so strings are the widest
 * VARCHAR there is: 65,535 bytes (VARCHAR(MAX) is the same type). Unused length costs nothing
 * on disk; it costs memory in queries that sort or hash the column, which is the price of never
 * refusing a value a narrower column would.
 */
export const MAX_VARCHAR_BYTES = 65_535;
