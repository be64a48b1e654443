import { join } from 'node:path';
import { describeDestination } from '@stowage/testkit';
import { duckdb } from '../src/index.js';

describeDestination('duckdb', {
  destination: duckdb as never,
  module: '@stowage/destination-duckdb',
  settings: (dir) => ({ path: join(dir, 'warehouse.duckdb') }),
  unreachable: (dir) => ({ path: join(dir, 'no', 'such', 'folder', 'warehouse.duckdb') }),
});
