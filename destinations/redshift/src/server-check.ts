import type { Driver } from '@stowage/core';

/**
 * Refuses a server that is not Redshift: PostgreSQL speaks the same protocol and takes most of
 * the same SQL, but cuts names at 63 bytes where Redshift's dialect keeps 127, so the first trait
 * with a long name would make a column the next sync cannot find, and every sync fail from then on.
 */
export async function ensureRedshift(driver: Pick<Driver, 'query' | 'close'>, where: string): Promise<void> {
  let version: string;
  try {
    const [row] = await driver.query<{ version: unknown }>('SELECT version() AS version');
    version = String(row?.version ?? '');
  } catch (error) {
    // The session is not handed over: it is closed here, or it would keep the process alive.
    await driver.close().catch(() => undefined);
    throw error;
  }
  if (/redshift/i.test(version)) return;
  await driver.close().catch(() => undefined);
  throw new Error(`${where} is not Amazon Redshift (it says: ${version.split(',')[0]}): for a PostgreSQL server, give the warehouse "type": "postgres"`);
}
