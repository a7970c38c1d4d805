import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock, System, ms, settle, type Actor, type Context, type Lane } from '../src/actors/index.js';
import { quietLogger } from './fixtures/actors-helpers.js';

test('per-actor counters: received, dropped on full, handled, high-water marks, queued', async () => {
  const system = new System({ clock: new FakeClock(), logger: quietLogger() });
  const addr = system
    .spawn((): Actor<string> => ({
      name: 'counted',
      handle: () => undefined,
      priority: (message: string): Lane => (message === 'urgent' ? 'control' : 'normal'),
    }))
    .capacity({ normal: 5 })
    .start();
  for (let i = 0; i < 8; i++) addr.send('normal');
  addr.send('urgent');
  let stats = system.stats()[0];
  assert.ok(stats !== undefined);
  assert.deepEqual(
    {
      received: stats.received,
      droppedOnFull: stats.droppedOnFull,
      handled: stats.handled,
      queued: stats.queued,
    },
    { received: 6, droppedOnFull: 3, handled: 0, queued: { control: 1, high: 0, normal: 5 } },
  );
  await settle();
  stats = system.stats()[0];
  assert.ok(stats !== undefined);
  assert.equal(stats.handled, 6);
  assert.deepEqual(stats.queued, { control: 0, high: 0, normal: 0 });
  assert.deepEqual(stats.mailboxHighWater, { control: 1, high: 0, normal: 5 });
  assert.equal(stats.name, 'counted');
  assert.equal(stats.state, 'running');
  assert.equal(stats.restarts, 0);
  assert.equal(stats.failures, 0);
  await system.shutdown();
});

test('handle time p50 and p99 come from a log-scale histogram, within 19%', async () => {
  const clock = new FakeClock();
  const system = new System({ clock, logger: quietLogger() });
  const addr = system
    .spawn((): Actor<number> => ({
      name: 'timed',
      handle: (_ctx: Context<number>, cost: number) => {
        clock.spend(ms(cost));
      },
    }))
    .capacity({ normal: 100 })
    .start();
  let stats = system.stats()[0];
  assert.equal(stats?.handleTimeP50Us, 0, 'empty histogram');
  for (let i = 0; i < 98; i++) addr.send(2);
  addr.send(50);
  addr.send(50);
  await settle();
  stats = system.stats()[0];
  assert.ok(stats !== undefined);
  assert.ok(
    stats.handleTimeP50Us >= 2000 && stats.handleTimeP50Us <= 2000 * 1.19,
    `p50 ${stats.handleTimeP50Us}`,
  );
  assert.ok(
    stats.handleTimeP99Us >= 50_000 && stats.handleTimeP99Us <= 50_000 * 1.19,
    `p99 ${stats.handleTimeP99Us}`,
  );
  addr.send(0);
  for (let i = 0; i < 3; i++) addr.send(1e9); // Beyond the last bucket: counted there.
  await settle();
  stats = system.stats()[0];
  assert.ok(stats !== undefined && stats.handleTimeP99Us > 1e8);
  await system.shutdown();
});
