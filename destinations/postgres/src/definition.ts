import { actionsCore } from '@stowage/core';
import type { PostgresSettings } from './settings.js';

/** Settings fields: one source for the configuration's validation, its docs and its types. */
export const fields = {
  url: {
    label: 'Connection URL',
    description: 'A libpq connection URL, `postgres://user:password@host:5432/database`. The fields below override its parts.',
    type: 'password' as const,
  },
  host: { label: 'Host', description: 'Server host name or address. Default `localhost`.', type: 'string' as const },
  port: { label: 'Port', description: 'Server port. Default 5432.', type: 'integer' as const },
  database: { label: 'Database', description: 'Database the schemas are created in.', type: 'string' as const },
  user: { label: 'User', description: 'Role to connect as; it needs CREATE on the database (for `engage_<space>` and `<space>`).', type: 'string' as const },
  password: { label: 'Password', description: 'Password of the role. Never written to logs, errors or history.', type: 'password' as const },
  sslmode: {
    label: 'SSL mode',
    description: '`disable` (default), `require` (encrypted, certificate not checked) or `verify-full` (encrypted, certificate and host checked).',
    type: 'string' as const,
    choices: ['disable', 'require', 'verify-full'],
  },
  bulkLoad: {
    label: 'Bulk load',
    description: '`copy` (default): COPY … FROM STDIN. `insert`: batched multi-row INSERT, for servers or proxies that cannot take COPY.',
    type: 'string' as const,
    choices: ['copy', 'insert'],
  },
  connectTimeoutSeconds: { label: 'Connect timeout', description: 'Seconds to wait for a connection. Default 10.', type: 'integer' as const },
};

/**
 * The `@segment/actions-core` destination definition of a PostgreSQL warehouse. `connect` opens
 * a session for testAuthentication; it is handed in so that this file holds only the definition.
 */
export function postgresDefinition(connect: (settings: PostgresSettings) => Promise<{ query(sql: string): Promise<unknown>; close(): Promise<void> }>) {
  return {
    name: 'Stowage PostgreSQL',
    slug: 'stowage-postgres',
    mode: 'cloud' as const,
    description: 'Lands Engage audiences, computed traits and journeys in PostgreSQL, in the schema Segment documents.',
    authentication: {
      scheme: 'custom' as const,
      fields,
      /** Connects and runs one query: proves the address, the credentials and the database. */
      testAuthentication: async (_request: unknown, { settings }: { settings: PostgresSettings }) => {
        const driver = await connect(settings).catch((error: Error) => {
          throw new actionsCore.IntegrationError(error.message, 'INVALID_SETTINGS', 400);
        });
        try {
          await driver.query('SELECT 1 AS ok');
          return true;
        } finally {
          await driver.close();
        }
      },
    },
    actions: {},
  };
}

export const settingsSchema = actionsCore.fieldsToJsonSchema(fields as never);
