import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock, System, ms, settle, type Actor, type Context } from '../src/actors/index.js';
import { Recorder, captureLogger, quietLogger } from './fixtures/actors-helpers.js';
import type { SlowStop } from './fixtures/actors-worker-actors.js';

/** An actor whose `stopped` hook takes `stopMs` on the fake clock (forever if null). */
class Stopper implements Actor<string> {
  readonly name: string;
  readonly #journal: string[];
  readonly #stopMs: number | null;

  constructor(name: string, journal: string[], stopMs: number | null = 0) {
    this.name = name;
    this.#journal = journal;
    this.#stopMs = stopMs;
  }

  handle(): void {
    // Nothing.
  }

  async stopped(ctx: Context<string>): Promise<void> {
    this.#journal.push(`${this.name}:stopping@${ctx.clock.now()}`);
    const stopMs = this.#stopMs;
    if (stopMs === null) await new Promise<never>(() => undefined);
    else if (stopMs > 0) await new Promise<void>((resolve) => ctx.clock.setTimer(ms(stopMs), resolve));
    this.#journal.push(`${this.name}:stopped@${ctx.clock.now()}`);
  }
}

test('actors stop in reverse spawn order, each waiting for the previous one', async () => {
  const clock = new FakeClock();
  const system = new System({ clock, logger: quietLogger() });
  const journal: string[] = [];
  system.spawn(() => new Stopper('capture', journal)).start();
  system.spawn(() => new Stopper('encode', journal, 30)).start();
  system.spawn(() => new Stopper('transport', journal, 50)).start();
  const stopping = system.shutdown();
  assert.equal(system.shutdown(), stopping, 'a second call returns the same result');
  await settle();
  assert.deepEqual(journal, ['transport:stopping@0']);
  await clock.advance(ms(100));
  const exit = await stopping;
  assert.deepEqual(journal, [
    'transport:stopping@0',
    'transport:stopped@50',
    'encode:stopping@50',
    'encode:stopped@80',
    'capture:stopping@80',
    'capture:stopped@80',
  ]);
  assert.deepEqual(exit, { code: 0, reason: 'shutdown requested', forced: [] });
  assert.equal(await system.whenStopped(), exit);
  assert.deepEqual(
    system.stats().map((stats) => stats.state),
    ['stopped', 'stopped', 'stopped'],
  );
});

test('past the deadline the remaining actors are abandoned without their stopped hook', async () => {
  const clock = new FakeClock();
  const { logger, lines } = captureLogger();
  const system = new System({ clock, logger, shutdownTimeout: ms(1000) });
  const journal: string[] = [];
  const first = system.spawn(() => new Stopper('first', journal)).start();
  system.spawn(() => new Stopper('hangs', journal, null)).start();
  system.spawn(() => new Stopper('last', journal, 10)).start();
  const stopping = system.shutdown({ reason: 'maintenance', exitCode: 0 });
  await clock.advance(ms(999));
  assert.equal(system.stats()[0]?.state, 'running', 'still waiting for the hanging actor');
  await clock.advance(ms(1));
  const exit = await stopping;
  assert.deepEqual(exit, { code: 0, reason: 'maintenance', forced: ['hangs', 'first'] });
  assert.deepEqual(journal, ['last:stopping@0', 'last:stopped@10', 'hangs:stopping@10']);
  assert.equal(first.connected, false);
  assert.ok(lines.some((line) => line.msg === 'actors abandoned after the shutdown timeout: hangs, first'));
});

test('shutdown hooks run before and after the actors, last registered first; failures are logged', async () => {
  const clock = new FakeClock();
  const { logger, lines } = captureLogger();
  const system = new System({ clock, logger });
  const journal: string[] = [];
  system.spawn(() => new Recorder<string>('actor', journal)).start();
  system.onShutdown(() => {
    journal.push('after-1');
  });
  system.onShutdown(async () => {
    await Promise.resolve();
    journal.push('after-2');
  });
  system.onShutdown(() => {
    journal.push('before');
  }, 'before-actors');
  system.onShutdown(() => {
    throw new Error('hook broke');
  }, 'before-actors');
  await system.shutdown();
  assert.deepEqual(journal, ['actor:started', 'before', 'actor:stopped', 'after-2', 'after-1']);
  assert.ok(lines.some((line) => line.msg === 'shutdown hook failed' && line.err?.message === 'hook broke'));
});

test('a hook that hangs is abandoned at the deadline', async () => {
  const clock = new FakeClock();
  const { logger, lines } = captureLogger();
  const system = new System({ clock, logger, shutdownTimeout: ms(200) });
  const journal: string[] = [];
  system.spawn(() => new Recorder<string>('actor', journal)).start();
  system.onShutdown(() => new Promise<void>(() => undefined), 'before-actors');
  const stopping = system.shutdown();
  await clock.advance(ms(200));
  const exit = await stopping;
  assert.deepEqual(exit.forced, ['actor']);
  assert.ok(lines.some((line) => line.msg === 'shutdown hook did not finish before the shutdown timeout'));
});

test('an actor still starting when shutdown comes stops as soon as it has started', async () => {
  const clock = new FakeClock();
  const system = new System({ clock, logger: quietLogger() });
  const journal: string[] = [];
  system
    .spawn((): Actor<string> => ({
      name: 'slow-starter',
      started: async (ctx) => {
        await new Promise<void>((resolve) => ctx.clock.setTimer(ms(20), resolve));
        journal.push('started');
      },
      handle: () => undefined,
      stopped: () => {
        journal.push('stopped');
      },
    }))
    .start();
  const stopping = system.shutdown();
  await clock.advance(ms(20));
  await stopping;
  assert.deepEqual(journal, ['started', 'stopped']);
});

test('a worker actor that does not stop in time is terminated', async () => {
  const system = new System({ logger: quietLogger(), shutdownTimeout: ms(300) });
  system
    .spawn<typeof SlowStop>({
      module: new URL('./fixtures/actors-worker-actors.js', import.meta.url),
      export: 'SlowStop',
      args: [60_000],
    })
    .placement('worker')
    .start();
  await system.ready();
  const started = Date.now();
  const exit = await system.shutdown();
  assert.deepEqual(exit.forced, ['SlowStop']);
  assert.ok(Date.now() - started < 2000);
  assert.equal(system.stats()[0]?.state, 'stopped');
});
