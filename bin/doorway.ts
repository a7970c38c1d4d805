#!/usr/bin/env node
import { main } from '../src/cli/index.js';

// A failure outside the command's own flow (a callback from a socket or a native thread) is still
// one line for a person; DOORWAY_DEBUG=1 shows the stack for a developer.
process.on('uncaughtException', (err: unknown) => {
  const text =
    err instanceof Error
      ? process.env.DOORWAY_DEBUG === '1'
        ? String(err.stack)
        : err.message
      : String(err);
  process.stderr.write(`doorway: internal error: ${text}\n`);
  process.exit(1);
});

process.exitCode = await main(process.argv.slice(2));
