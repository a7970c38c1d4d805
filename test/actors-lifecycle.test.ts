import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ActorDisconnectedError,
  FakeClock,
  SpawnError,
  System,
  settle,
  type Actor,
  type Addr,
  type Context,
  type Recipient,
} from '../src/actors/index.js';
import { Recorder, quietLogger } from './fixtures/actors-helpers.js';
import type { Echo } from './fixtures/actors-worker-actors.js';

function newSystem(): { system: System; clock: FakeClock } {
  const clock = new FakeClock();
  return { system: new System({ clock, logger: quietLogger() }), clock };
}

test('hooks run in order: started, each message, stopped', async () => {
  const { system } = newSystem();
  const journal: string[] = [];
  const addr = system.spawn(() => new Recorder<string>('a', journal)).start();
  assert.equal(addr.name, 'a');
  assert.deepEqual(addr.send('one'), { ok: true });
  assert.deepEqual(addr.send('two'), { ok: true });
  await settle();
  assert.deepEqual(journal, ['a:started', 'a:one', 'a:two']);
  const exit = await system.shutdown();
  assert.deepEqual(journal, ['a:started', 'a:one', 'a:two', 'a:stopped']);
  assert.deepEqual(exit, { code: 0, reason: 'shutdown requested', forced: [] });
  assert.equal(addr.connected, false);
  assert.deepEqual(addr.send('late'), { ok: false, reason: 'disconnected' });
});

test('messages sent while an async started hook runs wait for it', async () => {
  const { system, clock } = newSystem();
  const journal: string[] = [];
  class SlowStart implements Actor<number> {
    readonly name = 'slow-start';
    async started(ctx: Context<number>): Promise<void> {
      journal.push('starting');
      await new Promise<void>((resolve) => ctx.clock.setTimer(ctx.clock.now(), resolve));
      await new Promise<void>((resolve) => clock.setTimer(clock.now(), resolve));
      journal.push('started');
    }
    handle(_ctx: Context<number>, message: number): void {
      journal.push(`got ${message}`);
    }
  }
  const addr = system.spawn(() => new SlowStart()).start();
  addr.send(1);
  addr.send(2);
  await settle();
  assert.deepEqual(journal, ['starting']);
  const ready = system.ready();
  await clock.advance(clock.now());
  await clock.advance(clock.now());
  await ready;
  assert.deepEqual(journal, ['starting', 'started', 'got 1', 'got 2']);
  await system.shutdown();
});

test('the context gives the actor its own address, name, clock and system', async () => {
  const { system, clock } = newSystem();
  const seen: string[] = [];
  class SelfSender implements Actor<string> {
    readonly name = 'self-sender';
    handle(ctx: Context<string>, message: string): void {
      seen.push(`${ctx.name}:${message}@${ctx.clock.now()}`);
      assert.equal(ctx.system, system);
      assert.equal(ctx.system.name, 'doorway');
      assert.equal(ctx.system.shuttingDown, false);
      assert.equal(typeof ctx.logger.info, 'function');
      if (message === 'ping') ctx.myself.send('pong');
    }
  }
  const addr = system
    .spawn(() => new SelfSender())
    .name('renamed')
    .start();
  assert.equal(addr.name, 'renamed');
  await clock.advance(system.clock.now());
  addr.send('ping');
  await settle();
  assert.deepEqual(seen, ['renamed:ping@0', 'renamed:pong@0']);
  await system.shutdown();
});

test('ctx.stop ends a transient actor normally: stopped runs and the address disconnects', async () => {
  const { system } = newSystem();
  const journal: string[] = [];
  class StopOnQuit extends Recorder<string> {
    override handle(ctx: Context<string>, message: string): void {
      super.handle(ctx, message);
      if (message === 'quit') ctx.stop();
    }
  }
  const addr = system
    .spawn(() => new StopOnQuit('quitter', journal))
    .restart('transient')
    .start();
  addr.send('quit');
  addr.send('after');
  await settle();
  assert.deepEqual(journal, ['quitter:started', 'quitter:quit', 'quitter:stopped']);
  assert.equal(addr.connected, false);
  assert.throws(() => {
    addr.sendOrThrow('x');
  }, ActorDisconnectedError);
  assert.equal(system.stats()[0]?.state, 'stopped');
  await system.shutdown();
});

test('an address converts to a recipient of a narrower type, or of another type through a function', async () => {
  const { system } = newSystem();
  type Command = { kind: 'start' } | { kind: 'stop'; reason: string };
  const got: Command[] = [];
  const addr: Addr<Command> = system
    .spawn((): Actor<Command> => ({
      name: 'commands',
      handle: (_ctx, message) => {
        got.push(message);
      },
    }))
    .start();
  const stopOnly: Recipient<{ kind: 'stop'; reason: string }> = addr.recipient<{
    kind: 'stop';
    reason: string;
  }>();
  stopOnly.send({ kind: 'stop', reason: 'narrow' });
  const fromText = addr.map((reason: string): Command => ({ kind: 'stop', reason }));
  assert.equal(fromText.name, 'commands');
  assert.equal(fromText.connected, true);
  fromText.send('mapped');
  fromText.sendDropOldest('mapped-drop-oldest');
  fromText.sendOrThrow('mapped-or-throw');
  await settle();
  assert.deepEqual(got, [
    { kind: 'stop', reason: 'narrow' },
    { kind: 'stop', reason: 'mapped' },
    { kind: 'stop', reason: 'mapped-drop-oldest' },
    { kind: 'stop', reason: 'mapped-or-throw' },
  ]);
  await system.shutdown();
});

test('spawning checks its options and refuses once the system shuts down', async () => {
  const { system } = newSystem();
  const recorder = (): Recorder<string> => new Recorder<string>('dup');
  assert.throws(() => system.spawn(recorder).capacity({ normal: 0 }).start(), SpawnError);
  assert.throws(() => system.spawn(recorder).capacity({ high: 1.5 }).start(), /capacity of lane 'high'/);
  system.spawn(recorder).start();
  assert.throws(() => system.spawn(recorder).start(), /already running/);
  assert.throws(
    () =>
      system
        .spawn((): Actor<string> => {
          throw new Error('no camera');
        })
        .name('broken')
        .start(),
    /cannot spawn actor 'broken': factory failed: Error: no camera/,
  );
  await system.shutdown();
  assert.throws(() => system.spawn(recorder).name('late').start(), /shutting down/);
  assert.equal(system.shuttingDown, true);
});

test('an actor loaded from a module runs in this event loop when asked', async () => {
  const { system } = newSystem();
  const journal: string[] = [];
  const sink = system.spawn(() => new Recorder<string>('sink', journal)).start();
  const echo = system
    .spawn<typeof Echo>({
      module: new URL('./fixtures/actors-worker-actors.js', import.meta.url),
      export: 'Echo',
      args: [sink],
    })
    .placement('in-loop')
    .start();
  echo.send({ kind: 'text', text: 'hello' });
  await system.ready();
  await settle();
  assert.deepEqual(journal, ['sink:started', 'sink:echo:hello']);
  assert.equal(system.stats()[1]?.placement, 'in-loop');
  await system.shutdown();
});
