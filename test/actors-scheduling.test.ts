import assert from 'node:assert/strict';
import { test } from 'node:test';
import { System, settle, type Actor, type Context } from '../src/actors/index.js';
import { quietLogger } from './fixtures/actors-helpers.js';

test('a busy in-loop actor yields: timers and I/O callbacks still run, other actors get their turn', async () => {
  const system = new System({ logger: quietLogger() });
  let spins = 0;
  let running = true;
  const busy = system
    .spawn((): Actor<'spin'> => ({
      name: 'busy',
      handle: (ctx: Context<'spin'>) => {
        spins++;
        if (running) ctx.myself.send('spin'); // Never idle.
      },
    }))
    .start();
  let otherHandledAt = -1;
  const other = system
    .spawn((): Actor<string> => ({
      name: 'other',
      handle: () => {
        otherHandledAt = spins;
      },
    }))
    .start();
  busy.send('spin');
  await new Promise((resolve) => setImmediate(resolve));
  const spinsAtFirstYield = spins;
  other.send('hello');
  await new Promise((resolve) => setTimeout(resolve, 20)); // A timer fires although `busy` never stops.
  running = false;
  await settle();
  assert.ok(spinsAtFirstYield > 0, 'the busy actor ran before the event loop got its turn');
  assert.ok(otherHandledAt >= 0, 'the other actor was served');
  assert.ok(
    otherHandledAt - spinsAtFirstYield <= 64,
    `served within a quantum (${otherHandledAt - spinsAtFirstYield})`,
  );
  assert.ok(spins > spinsAtFirstYield + 100, 'the busy actor kept going across many batches');
  await system.shutdown();
});
