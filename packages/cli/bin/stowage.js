#!/usr/bin/env node
// Committed (not built) so that npm can link and chmod it before `prepare` builds dist/.
import { main } from '../dist/program.js';

await main(process.argv);
