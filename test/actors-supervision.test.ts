import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ActorHookError,
  FakeClock,
  System,
  ms,
  settle,
  type Actor,
  type Context,
  type RestartPolicy,
} from '../src/actors/index.js';
import { Recorder, captureLogger, quietLogger } from './fixtures/actors-helpers.js';

/** Throws on messages starting with `fail`; `quit` stops it normally. */
class Fragile extends Recorder<string> {
  override handle(ctx: Context<string>, message: string): void {
    super.handle(ctx, message);
    if (message.startsWith('fail')) throw new Error(`cannot ${message}`);
    if (message === 'quit') ctx.stop();
  }
}

function spawnFragile(system: System, journal: string[], policy: RestartPolicy) {
  let generation = 0;
  return system
    .spawn(() => new Fragile(`gen${++generation}`, journal))
    .name('fragile')
    .restart(policy)
    .start();
}

test('a permanent actor that throws is restarted fresh, keeps its mailbox, and the error names it', async () => {
  const { logger, lines } = captureLogger();
  const system = new System({ clock: new FakeClock(), logger });
  const journal: string[] = [];
  const addr = spawnFragile(system, journal, 'permanent');
  for (const message of ['a', 'fail-b', 'c', 'd']) addr.send(message);
  await settle();
  assert.deepEqual(journal, [
    'gen1:started',
    'gen1:a',
    'gen1:fail-b',
    'gen1:stopped',
    'gen2:started',
    'gen2:c',
    'gen2:d',
  ]);
  const failure = lines.find((line) => line.level === 50);
  assert.ok(failure !== undefined);
  assert.equal(failure.actor, 'fragile');
  assert.equal(failure.msg, "actor 'fragile' failed in handle: cannot fail-b");
  assert.equal(failure.err?.message, 'cannot fail-b');
  const stats = system.stats()[0];
  assert.ok(stats !== undefined);
  assert.equal(stats.restarts, 1);
  assert.equal(stats.failures, 1);
  assert.equal(stats.handled, 4);
  await system.shutdown();
});

test('a failure never touches an unrelated actor', async () => {
  const system = new System({ clock: new FakeClock(), logger: quietLogger() });
  const journal: string[] = [];
  const fragile = spawnFragile(system, journal, 'temporary');
  const bystander = system.spawn(() => new Recorder<string>('bystander', journal)).start();
  bystander.send('before');
  fragile.send('fail-now');
  bystander.send('after');
  await settle();
  assert.deepEqual(
    journal.filter((line) => line.startsWith('bystander')),
    ['bystander:started', 'bystander:before', 'bystander:after'],
  );
  assert.equal(fragile.connected, false);
  assert.equal(bystander.connected, true);
  assert.deepEqual(
    system.stats().map((stats) => stats.state),
    ['stopped', 'running'],
  );
  await system.shutdown();
});

test('transient restarts after a failure but not after a normal stop; permanent restarts after both', async () => {
  const system = new System({ clock: new FakeClock(), logger: quietLogger() });
  const transientJournal: string[] = [];
  const transient = spawnFragile(system, transientJournal, 'transient');
  transient.send('fail-1');
  await settle();
  transient.send('quit');
  await settle();
  assert.deepEqual(transientJournal, [
    'gen1:started',
    'gen1:fail-1',
    'gen1:stopped',
    'gen2:started',
    'gen2:quit',
    'gen2:stopped',
  ]);
  assert.equal(transient.connected, false);

  const permanentJournal: string[] = [];
  let generation = 0;
  const permanent = system
    .spawn(() => new Fragile(`p${++generation}`, permanentJournal))
    .name('permanent')
    .start();
  permanent.send('quit');
  await settle();
  permanent.send('still-here');
  await settle();
  assert.deepEqual(permanentJournal, ['p1:started', 'p1:quit', 'p1:stopped', 'p2:started', 'p2:still-here']);
  await system.shutdown();
});

test('restarts beyond the intensity shut the system down with exit code 1', async () => {
  const clock = new FakeClock();
  const { logger, lines } = captureLogger();
  const system = new System({ clock, logger, restartIntensity: { maxRestarts: 2, period: ms(1000) } });
  const journal: string[] = [];
  const bystander = system.spawn(() => new Recorder<string>('bystander', journal)).start();
  const addr = spawnFragile(system, journal, 'permanent');
  addr.send('fail-1');
  await clock.advance(ms(600));
  addr.send('fail-2'); // 2 restarts within 1000 ms: allowed.
  await clock.advance(ms(600));
  addr.send('fail-3'); // The restart at 0 left the window: still 2.
  await clock.advance(ms(100));
  assert.equal(system.shuttingDown, false);
  addr.send('fail-4'); // 3 restarts within 1000 ms (600, 1200, 1300): one too many.
  const exit = await system.whenStopped();
  assert.equal(exit.code, 1);
  assert.equal(exit.reason, "actor 'fragile' exceeded the restart intensity (2 restarts in 1000 ms)");
  assert.ok(lines.some((line) => line.level === 60 && line.actor === 'fragile'));
  assert.equal(system.stats()[1]?.restarts, 3);
  assert.equal(bystander.connected, false, 'the whole system stopped');
  assert.ok(journal.includes('bystander:stopped'));
});

test('System.run resolves with the exit code instead of exiting when told so', async () => {
  const system = new System({
    clock: new FakeClock(),
    logger: quietLogger(),
    restartIntensity: { maxRestarts: 0, period: ms(1000) },
  });
  const addr = spawnFragile(system, [], 'permanent');
  const running = system.run({ exitProcess: false, signals: false });
  addr.send('fail');
  const exit = await running;
  assert.equal(exit.code, 1);
  assert.match(exit.reason, /exceeded the restart intensity/);
});

test('System.run shuts down gracefully on SIGTERM', async () => {
  const system = new System({ clock: new FakeClock(), logger: quietLogger() });
  const journal: string[] = [];
  system.spawn(() => new Recorder<string>('r', journal)).start();
  const running = system.run({ exitProcess: false });
  await settle();
  process.kill(process.pid, 'SIGTERM');
  const exit = await running;
  assert.deepEqual(exit, { code: 0, reason: 'received SIGTERM', forced: [] });
  assert.deepEqual(journal, ['r:started', 'r:stopped']);
});

test('failures in started, in deadlinePassed, and of a factory on restart are supervised too', async () => {
  const clock = new FakeClock();
  const { logger, lines } = captureLogger();
  const system = new System({ clock, logger, restartIntensity: { maxRestarts: 10, period: ms(1000) } });
  let attempts = 0;
  system
    .spawn((): Actor<string> => ({
      name: 'flaky-start',
      started: () => {
        if (++attempts < 3) throw new Error(`attempt ${attempts}`);
      },
      handle: () => undefined,
    }))
    .start();
  await settle();
  assert.equal(attempts, 3);
  assert.equal(system.stats()[0]?.state, 'running');

  let builds = 0;
  const watchdog = system
    .spawn((): Actor<string> => {
      if (++builds === 2) throw new Error('no device');
      return {
        name: 'watchdog',
        started: (ctx) => {
          ctx.setTimeout(ms(5));
        },
        handle: () => undefined,
        deadlinePassed: () => {
          const notAnError: unknown = 'not an Error';
          throw notAnError;
        },
      };
    })
    .restart('transient')
    .start();
  await clock.advance(ms(5));
  await settle();
  const phases = lines.filter((line) => line.level === 50).map((line) => line.msg);
  assert.deepEqual(phases, [
    "actor 'flaky-start' failed in started: attempt 1",
    "actor 'flaky-start' failed in started: attempt 2",
    "actor 'watchdog' failed in deadline: actor 'watchdog' threw a non-Error value: \"not an Error\"",
    "actor 'watchdog' failed in create: no device",
  ]);
  assert.equal(builds, 3, 'the factory is called again after its own failure');
  assert.equal(watchdog.connected, true);
  assert.ok(new ActorHookError('x', 1) instanceof Error);
  await system.shutdown();
});

test('a stopped hook that fails is logged and counted; shutdown goes on', async () => {
  const { logger, lines } = captureLogger();
  const system = new System({ clock: new FakeClock(), logger });
  const journal: string[] = [];
  system.spawn(() => new Recorder<string>('first', journal)).start();
  system
    .spawn((): Actor<string> => ({
      name: 'bad-stop',
      handle: () => undefined,
      stopped: async () => {
        await Promise.resolve();
        throw new Error('flush failed');
      },
    }))
    .start();
  system
    .spawn((): Actor<string> => ({
      name: 'bad-stop-sync',
      handle: () => undefined,
      stopped: () => {
        throw new Error('close failed');
      },
    }))
    .start();
  const exit = await system.shutdown();
  assert.equal(exit.code, 0);
  assert.deepEqual(journal, ['first:started', 'first:stopped']);
  const failures = lines.filter((line) => line.level === 50).map((line) => line.msg);
  assert.deepEqual(failures, [
    "actor 'bad-stop-sync' failed in stopped",
    "actor 'bad-stop' failed in stopped",
  ]);
  assert.deepEqual(
    system.stats().map((stats) => stats.failures),
    [0, 1, 1],
  );
});
