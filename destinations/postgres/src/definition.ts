import { IntegrationError, fieldsToJsonSchema } from '@stowage/core';
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
  connectTimeoutSeconds: { label: 'Connect timeout', description: 'Seconds to wait for a connection. Default: the URL\'s connect_timeout, else 10.', type: 'integer' as const },
  lockTimeoutSeconds: {
    label: 'Lock timeout',
    description: "Seconds a statement waits for a lock another session holds before the batch is tried again after a pause (a few times, then the sync fails and the next one goes on). Default 5; 0 waits as long as it takes.",
    type: 'number' as const,
  },
};

/** A session that can run one query: what testAuthentication needs of a driver. */
export interface TestSession {
  query(sql: string): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * The `@segment/actions-core` destination definition of a warehouse reached over the PostgreSQL
 * protocol (PostgreSQL, Redshift): its name and settings fields, and a testAuthentication that
 * connects and runs one query. `connect` is handed in so that this file holds only the definition.
 */
export function pgProtocolDefinition<S, F extends object>(about: { name: string; slug: string; description: string }, settingsFields: F, connect: (settings: S) => Promise<TestSession>) {
  return {
    ...about,
    mode: 'cloud' as const,
    authentication: {
      scheme: 'custom' as const,
      fields: settingsFields,
      /** Connects and runs one query: proves the address, the credentials and the database. */
      testAuthentication: async (_request: unknown, { settings }: { settings: S }) => {
        const driver = await connect(settings).catch((error: Error) => {
          throw new IntegrationError(error.message, 'INVALID_SETTINGS', 400);
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

/** The definition of a PostgreSQL warehouse. */
export function postgresDefinition(connect: (settings: PostgresSettings) => Promise<TestSession>) {
  return pgProtocolDefinition(
    { name: 'Stowage PostgreSQL', slug: 'stowage-postgres', description: 'Lands Engage audiences, computed traits and journeys in PostgreSQL, in the schema Segment documents.' },
    fields,
    connect,
  );
}

export const settingsSchema = fieldsToJsonSchema(fields as never);
