#!/usr/bin/env node
/** `node dist/src/build/main.js --profile NAME`: what `make build PROFILE=NAME` runs. */
import { parseArgs } from 'node:util';
import { DoorwayError } from '../errors/index.js';
import { createLogRoot } from '../log/index.js';
import { appRoot } from '../paths/index.js';
import { buildNative } from './native-build.js';

const log = createLogRoot().component('build');
try {
  const { values } = parseArgs({ options: { profile: { type: 'string', default: 'dev' } }, strict: true });
  buildNative({ root: appRoot(), profile: values.profile, log });
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`doorway build: ${message}\n`);
  process.exitCode = err instanceof DoorwayError ? err.exitCode : 1;
}
