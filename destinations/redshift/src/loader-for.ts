import type { Loader } from '@stowage/destination-postgres';
import { insertLoaderBinding, MAX_PARAMS } from '@stowage/destination-postgres/driver';
import { s3Loader } from './load/s3-loader.js';
import { parsingSuper } from './load/super-columns.js';
import { stagingOf } from './load/staging-settings.js';
import type { RedshiftSettings } from './settings.js';

/**
 * COPY from S3 when a bucket is set; batched INSERTs otherwise. Loaded with the first session
 * (the AWS SDK and `pg` take ~35 MB and ~200 ms to load), not with the destination.
 */
export function loaderFor(settings: RedshiftSettings): Loader {
  const staging = stagingOf(settings);
  return staging ? s3Loader(staging) : parsingSuper(insertLoaderBinding(MAX_PARAMS.redshift));
}
