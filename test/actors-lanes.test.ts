import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock, System, settle, type Actor, type Context, type Lane } from '../src/actors/index.js';
import { Recorder, quietLogger } from './fixtures/actors-helpers.js';

function laneOf(message: string): Lane {
  if (message.startsWith('c')) return 'control';
  if (message.startsWith('h')) return 'high';
  return 'normal';
}

test('queued messages are served control first, then high, then normal, each lane in order', async () => {
  const system = new System({ clock: new FakeClock(), logger: quietLogger() });
  const journal: string[] = [];
  const addr = system.spawn(() => new Recorder<string>('r', journal, laneOf)).start();
  // Nothing runs before the microtask drain, so all of these are queued together.
  for (const message of ['n1', 'h1', 'n2', 'c1', 'h2', 'c2', 'n3']) addr.send(message);
  await settle();
  assert.deepEqual(journal, ['r:started', 'r:c1', 'r:c2', 'r:h1', 'r:h2', 'r:n1', 'r:n2', 'r:n3']);
  await system.shutdown();
});

test('a control message sent while a normal one is handled is served before the normal backlog', async () => {
  const system = new System({ clock: new FakeClock(), logger: quietLogger() });
  const handled: string[] = [];
  class Injector implements Actor<string> {
    readonly name = 'injector';
    handle(ctx: Context<string>, message: string): void {
      handled.push(message);
      if (message === 'n1') {
        ctx.myself.send('h-injected');
        ctx.myself.send('c-injected');
      }
    }
    priority(message: string): Lane {
      return laneOf(message);
    }
  }
  const addr = system.spawn(() => new Injector()).start();
  for (const message of ['n1', 'n2', 'n3']) addr.send(message);
  await settle();
  assert.deepEqual(handled, ['n1', 'c-injected', 'h-injected', 'n2', 'n3']);
  await system.shutdown();
});

test("the builder's priority overrides the actor's own", async () => {
  const system = new System({ clock: new FakeClock(), logger: quietLogger() });
  const journal: string[] = [];
  const addr = system
    .spawn(() => new Recorder<string>('r', journal, laneOf))
    .priority((message) => (message === 'n-vip' ? 'control' : 'normal'))
    .start();
  for (const message of ['c-plain', 'n1', 'n-vip']) addr.send(message);
  await settle();
  assert.deepEqual(journal, ['r:started', 'r:n-vip', 'r:c-plain', 'r:n1']);
  await system.shutdown();
});

test('each lane has its own capacity: a full normal lane does not block control messages', async () => {
  const system = new System({ clock: new FakeClock(), logger: quietLogger() });
  const journal: string[] = [];
  const addr = system
    .spawn(() => new Recorder<string>('r', journal, laneOf))
    .capacity({ control: 1, high: 2, normal: 2 })
    .start();
  assert.deepEqual(addr.send('n1'), { ok: true });
  assert.deepEqual(addr.send('n2'), { ok: true });
  assert.deepEqual(addr.send('n3'), { ok: false, reason: 'full' });
  assert.deepEqual(addr.send('h1'), { ok: true });
  assert.deepEqual(addr.send('h2'), { ok: true });
  assert.deepEqual(addr.send('h3'), { ok: false, reason: 'full' });
  assert.deepEqual(addr.send('c1'), { ok: true });
  assert.deepEqual(addr.send('c2'), { ok: false, reason: 'full' });
  await settle();
  assert.deepEqual(journal, ['r:started', 'r:c1', 'r:h1', 'r:h2', 'r:n1', 'r:n2']);
  const stats = system.stats()[0];
  assert.ok(stats !== undefined);
  assert.deepEqual(stats.mailboxHighWater, { control: 1, high: 2, normal: 2 });
  assert.equal(stats.droppedOnFull, 3);
  await system.shutdown();
});

test('a stop takes effect before the backlog: queued messages are not handled, stopped runs once', async () => {
  const system = new System({ clock: new FakeClock(), logger: quietLogger() });
  const journal: string[] = [];
  class Quitter extends Recorder<string> {
    override handle(ctx: Context<string>, message: string): void {
      super.handle(ctx, message);
      if (message === 'quit') ctx.stop();
    }
  }
  const addr = system
    .spawn(() => new Quitter('r', journal))
    .restart('transient')
    .start();
  for (const message of ['n1', 'quit', 'n2', 'c1']) addr.send(message);
  await settle();
  assert.deepEqual(journal, ['r:started', 'r:n1', 'r:quit', 'r:stopped']);
  assert.equal(system.stats()[0]?.handled, 2);
  await system.shutdown();
});
