import type { Loader } from '@stowage/destination-postgres';
import { MAX_VARCHAR_BYTES } from '../max-varchar.js';

/**
 * A loader that binds values as parameters (the INSERT fallback) gives a SUPER column the JSON
 * text as one string scalar, not the object it spells: JSON_PARSE it in the stage, before the
 * writer copies the stage into its table. (COPY parses SUPER values itself.) Values up to
 * VARCHAR's 65,535 bytes; larger JSON needs the S3 path.
 */
export function parsingSuper(loader: Loader): Loader {
  return {
    name: loader.name,
    write: loader.write,
    async load(client, table, file, quote) {
      await loader.load(client, table, file, quote);
      const json = file.columns.filter((c) => c.type === 'json').map((c) => quote(c.name));
      if (json.length === 0) return;
      await client.query(`UPDATE ${table} SET ${json.map((c) => `${c} = JSON_PARSE(CAST(${c} AS VARCHAR(${MAX_VARCHAR_BYTES})))`).join(', ')}`);
    },
  };
}
