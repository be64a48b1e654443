import type { DestinationUnderTest } from '../harness.js';

/**
 * The longest text a column may hold for the suite to build values past it: 16 MiB, Snowflake's
 * VARCHAR. A warehouse that holds more (SQLite's billion bytes) counts as unbounded for the
 * tests: a value past its limit would not fit in one JavaScript string.
 */
const TESTED_TEXT_LIMIT = 16 * 1024 * 1024;

/** Whether the tests of values longer than a text column holds run here (`maxStringBytes`, within what a test can build). */
export function textBounded(dut: DestinationUnderTest): boolean {
  return dut.destination.capabilities.maxStringBytes <= TESTED_TEXT_LIMIT;
}
