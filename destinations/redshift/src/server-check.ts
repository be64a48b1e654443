import type { Driver } from '@stowage/core';

/**
 * Settings only Redshift has, made once the server is known to be Redshift (PostgreSQL refuses a
 * parameter it does not know). `describe_field_name_in_uppercase`, which a parameter group or an
 * `ALTER USER … SET` may turn on, names every column of a result in upper case: Stowage reads
 * its results by name (`table_name`, `column_name`, `n`…), and found nothing in them.
 */
const REDSHIFT_SETUP = ['SET describe_field_name_in_uppercase TO off'];

/**
 * Refuses a server that is not Redshift: PostgreSQL speaks the same protocol and takes most of
 * the same SQL, but cuts names at 63 bytes where Redshift's dialect keeps 127, so the first trait
 * with a long name would make a column the next sync cannot find, and every sync fail from then on.
 * A Redshift session is then given the settings only Redshift has (`REDSHIFT_SETUP`).
 */
export async function ensureRedshift(driver: Pick<Driver, 'query' | 'execute' | 'close'>, where: string): Promise<void> {
  let version: string;
  try {
    const [row] = await driver.query<Record<string, unknown>>('SELECT version() AS version');
    // The one column, by position: its name comes back in upper case where the session says so (`REDSHIFT_SETUP`).
    version = String(Object.values(row ?? {})[0] ?? '');
  } catch (error) {
    // The session is not handed over: it is closed here, or it would keep the process alive.
    await driver.close().catch(() => undefined);
    throw error;
  }
  if (!/redshift/i.test(version)) {
    await driver.close().catch(() => undefined);
    throw new Error(`${where} is not Amazon Redshift (it says: ${version.split(',')[0]}): for a PostgreSQL server, give the warehouse "type": "postgres"`);
  }
  try {
    for (const statement of REDSHIFT_SETUP) await driver.execute(statement);
  } catch (error) {
    await driver.close().catch(() => undefined);
    throw error;
  }
}
