import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ActorDisconnectedError,
  FakeClock,
  MailboxFullError,
  System,
  ms,
  settle,
  type Actor,
  type Context,
  type SendResult,
} from '../src/actors/index.js';
import { Recorder, quietLogger } from './fixtures/actors-helpers.js';

function newSystem(): System {
  return new System({ clock: new FakeClock(), logger: quietLogger() });
}

test('a full mailbox answers full at once; nothing throws, nothing waits', async () => {
  const system = newSystem();
  const journal: string[] = [];
  const addr = system
    .spawn(() => new Recorder<number>('frames', journal))
    .capacity({ normal: 3 })
    .start();
  const results: SendResult[] = [];
  for (let i = 0; i < 5; i++) results.push(addr.send(i));
  assert.deepEqual(results, [
    { ok: true },
    { ok: true },
    { ok: true },
    { ok: false, reason: 'full' },
    { ok: false, reason: 'full' },
  ]);
  await settle();
  assert.deepEqual(journal, ['frames:started', 'frames:0', 'frames:1', 'frames:2']);
  assert.deepEqual(addr.send(5), { ok: true }, 'room again once handled');
  await system.shutdown();
});

test('a video-frame producer drops the oldest: sendDropOldest evicts the head of the lane', async () => {
  const system = newSystem();
  const journal: string[] = [];
  const addr = system
    .spawn(() => new Recorder<string>('display', journal))
    .capacity({ normal: 2 })
    .start();
  for (const frame of ['f1', 'f2', 'f3', 'f4']) assert.deepEqual(addr.sendDropOldest(frame), { ok: true });
  await settle();
  assert.deepEqual(journal, ['display:started', 'display:f3', 'display:f4']);
  const stats = system.stats()[0];
  assert.ok(stats !== undefined);
  assert.equal(stats.droppedOnFull, 2);
  assert.equal(stats.received, 4);
  assert.equal(stats.handled, 2);
  await system.shutdown();
  assert.deepEqual(addr.sendDropOldest('late'), { ok: false, reason: 'disconnected' });
});

test('a control sender fails loudly: sendOrThrow throws MailboxFullError, then ActorDisconnectedError', async () => {
  const system = newSystem();
  const addr = system
    .spawn(() => new Recorder<string>('control'))
    .capacity({ normal: 1 })
    .start();
  addr.sendOrThrow('first');
  assert.throws(
    () => {
      addr.sendOrThrow('second');
    },
    (error: unknown) =>
      error instanceof MailboxFullError &&
      error.actor === 'control' &&
      error.message === "mailbox of actor 'control' is full",
  );
  await system.shutdown();
  assert.throws(
    () => {
      addr.sendOrThrow('third');
    },
    (error: unknown) =>
      error instanceof ActorDisconnectedError && error.message === "actor 'control' is disconnected",
  );
});

test('a delayed message falling due while the mailbox is full is queued behind it, not refused', async () => {
  const clock = new FakeClock();
  const system = new System({ clock, logger: quietLogger() });
  const seen: string[] = [];
  class Timed implements Actor<string> {
    readonly name = 'timed';
    started(ctx: Context<string>): void {
      ctx.sendAfter('timer', ms(5));
    }
    handle(_ctx: Context<string>, message: string): void {
      seen.push(message);
    }
  }
  const addr = system
    .spawn(() => new Timed())
    .capacity({ normal: 2 })
    .start();
  await settle();
  assert.ok(addr.send('a').ok);
  assert.ok(addr.send('b').ok);
  assert.deepEqual(addr.send('c'), { ok: false, reason: 'full' });
  clock.spend(ms(5));
  await settle();
  assert.deepEqual(seen, ['a', 'b', 'timer']);
  await system.shutdown();
});
