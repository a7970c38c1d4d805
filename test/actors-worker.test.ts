import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  MailboxFullError,
  System,
  ms,
  nativeHandle,
  type Actor,
  type Addr,
  type Context,
} from '../src/actors/index.js';
import { captureLogger, quietLogger, until } from './fixtures/actors-helpers.js';
import {
  echoPriority,
  type Echo,
  type EchoMessage,
  type FailingStart,
} from './fixtures/actors-worker-actors.js';

const FIXTURES = new URL('./fixtures/actors-worker-actors.js', import.meta.url);

/** An in-loop actor collecting the text replies of worker actors. */
function collector(system: System, capacity = 1024): { addr: Addr<string>; replies: string[] } {
  const replies: string[] = [];
  const addr = system
    .spawn((): Actor<string> => ({
      name: 'collector',
      handle: (_ctx: Context<string>, message: string) => {
        replies.push(message);
      },
    }))
    .capacity({ normal: capacity })
    .start();
  return { addr, replies };
}

function spawnEcho(system: System, replyTo: Addr<string>) {
  return system.spawn<typeof Echo>({ module: FIXTURES, export: 'Echo', args: [replyTo] }).placement('worker');
}

test('a worker actor runs in its own thread and answers through an address passed in its args', async () => {
  const system = new System({ logger: quietLogger() });
  const { addr, replies } = collector(system);
  const echo = spawnEcho(system, addr).start();
  assert.deepEqual(echo.send({ kind: 'where' }), { ok: true });
  echo.send({ kind: 'text', text: 'hi' });
  await system.ready();
  await until(() => replies.length >= 2);
  assert.deepEqual(replies, ['worker', 'echo:hi']);
  const stats = system.stats()[1];
  assert.ok(stats !== undefined);
  assert.equal(stats.placement, 'worker');
  assert.equal(stats.state, 'running');
  assert.equal(stats.received, 2);
  assert.equal(stats.handled, 2);
  await system.shutdown();
  assert.equal(echo.connected, false);
  assert.deepEqual(echo.send({ kind: 'where' }), { ok: false, reason: 'disconnected' });
});

test('a transferred 64 KiB ArrayBuffer moves without a copy: the sender is left with a detached buffer', async () => {
  const system = new System({ logger: quietLogger() });
  const { addr, replies } = collector(system);
  const echo = spawnEcho(system, addr).start();
  const buffer = new ArrayBuffer(64 * 1024);
  const bytes = new Uint8Array(buffer);
  bytes[0] = 7;
  bytes[bytes.length - 1] = 9;
  assert.deepEqual(echo.send({ kind: 'buffer', buffer }, [buffer]), { ok: true });
  assert.equal(buffer.byteLength, 0, 'the buffer was transferred, not copied');
  assert.equal(bytes.length, 0);
  await until(() => replies.length >= 1);
  assert.deepEqual(replies, ['buffer:65536:7:9']);
  const copied = new ArrayBuffer(16);
  echo.send({ kind: 'buffer', buffer: copied });
  assert.equal(copied.byteLength, 16, 'without a transfer list the buffer is copied');
  await until(() => replies.length >= 2);
  assert.equal(replies[1], 'buffer:16:0:0');
  await system.shutdown();
});

test('a native frame handle crosses to a worker as a handle: kind and id, no pixels', async () => {
  const system = new System({ logger: quietLogger() });
  const { addr, replies } = collector(system);
  const echo = spawnEcho(system, addr).start();
  echo.send({ kind: 'handle', handle: nativeHandle('video.frame', 2n ** 40n + 3n) });
  await until(() => replies.length >= 1);
  assert.deepEqual(replies, [`handle:video.frame:${2n ** 40n + 3n}:valid`]);
  await system.shutdown();
});

test('messages sent in one go travel together, in order; one that cannot be cloned is dropped alone', async () => {
  const system = new System({ logger: quietLogger() });
  const { addr, replies } = collector(system, 4096);
  const echo = spawnEcho(system, addr).capacity({ normal: 4096 }).start();
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => {
    warnings.push(warning.message);
  };
  process.on('warning', onWarning);
  for (let i = 0; i < 3000; i++) assert.ok(echo.send({ kind: 'text', text: String(i) }).ok);
  const uncloneable = { kind: 'text', text: 'function', callback: () => 1 } as EchoMessage;
  assert.deepEqual(
    echo.send(uncloneable),
    { ok: true },
    'accepted: cloning happens when the batch is posted',
  );
  echo.send({ kind: 'text', text: 'last' });
  await until(() => replies.length >= 3001, 10_000, 'all the replies');
  process.off('warning', onWarning);
  assert.deepEqual(replies, [...Array.from({ length: 3000 }, (_, i) => `echo:${i}`), 'echo:last']);
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0] ?? '',
    /a message to actor 'Echo' was dropped: it cannot be sent to another thread/,
  );
  const stats = system.stats()[1];
  assert.ok(stats !== undefined);
  assert.equal(stats.droppedOnFull, 1);
  assert.equal(stats.received, 3001);
  assert.deepEqual(stats.queued, { control: 0, high: 0, normal: 0 });
  await system.shutdown();
});

test('a worker mailbox is bounded: full comes back at once while the worker is busy', async () => {
  const system = new System({ logger: quietLogger() });
  const { addr, replies } = collector(system);
  const echo = spawnEcho(system, addr).capacity({ normal: 4 }).start();
  await system.ready();
  echo.send({ kind: 'block', ms: 600 });
  await until(() => system.stats()[1]?.queued.normal === 0, 2000, 'the worker to take the blocking message');
  for (let i = 1; i <= 4; i++) assert.deepEqual(echo.send({ kind: 'text', text: `t${i}` }), { ok: true });
  assert.deepEqual(echo.send({ kind: 'text', text: 'refused' }), { ok: false, reason: 'full' });
  assert.throws(() => {
    echo.sendOrThrow({ kind: 'text', text: 'refused' });
  }, MailboxFullError);
  assert.deepEqual(echo.sendDropOldest({ kind: 'text', text: 'newest' }), { ok: true });
  await until(() => replies.length >= 5, 5000, 'the replies');
  assert.deepEqual(replies, ['unblocked', 'echo:t2', 'echo:t3', 'echo:t4', 'echo:newest']);
  const stats = system.stats()[1];
  assert.ok(stats !== undefined);
  assert.equal(stats.droppedOnFull, 3, 'two refused sends and one eviction');
  assert.equal(stats.mailboxHighWater.normal, 4);
  await system.shutdown();
});

test('lanes work across threads: a control message overtakes normal ones queued behind a busy handler', async () => {
  const system = new System({ logger: quietLogger() });
  const { addr, replies } = collector(system);
  const echo = spawnEcho(system, addr).priority(echoPriority).start();
  await system.ready();
  echo.send({ kind: 'block', ms: 300 });
  await until(() => system.stats()[1]?.queued.normal === 0, 2000, 'the worker to take the blocking message');
  echo.send({ kind: 'text', text: 'a' });
  echo.send({ kind: 'text', text: 'b' });
  echo.send({ kind: 'urgent', text: 'c' });
  assert.equal(system.stats()[1]?.queued.control, 1);
  await until(() => replies.length >= 4);
  assert.deepEqual(replies, ['unblocked', 'echo:c', 'echo:a', 'echo:b']);
  await system.shutdown();
});

test('a worker actor that throws is restarted in its thread, keeps its address, and the error names it', async () => {
  const { logger, lines } = captureLogger();
  const system = new System({ logger });
  const { addr, replies } = collector(system);
  const echo = spawnEcho(system, addr).start();
  echo.send({ kind: 'throw', text: 'encoder exploded' });
  echo.send({ kind: 'text', text: 'after' });
  await until(() => replies.length >= 2);
  assert.deepEqual(replies, ['stopped', 'echo:after']);
  assert.equal(system.stats()[1]?.restarts, 1);
  assert.equal(system.stats()[1]?.failures, 1);
  const failure = lines.find((line) => line.level === 50 && line.actor === 'Echo');
  assert.ok(failure, 'the failure is logged with the actor name');
  assert.match(failure.msg, /actor 'Echo' failed in handle: Error: encoder exploded/);
  await system.shutdown();
});

test('a worker thread that dies is replaced by a fresh one behind the same address', async () => {
  const system = new System({ logger: quietLogger() });
  const { addr, replies } = collector(system);
  const echo = spawnEcho(system, addr).start();
  echo.send({ kind: 'exit-thread' });
  await until(() => system.stats()[1]?.restarts === 1, 5000, 'the restart');
  await until(() => echo.send({ kind: 'text', text: 'back' }).ok, 5000, 'the new thread');
  await until(() => replies.includes('echo:back'));
  assert.equal(system.stats()[1]?.state, 'running');
  await system.shutdown();
});

test('a worker actor can ask the system to shut down, with an exit code', async () => {
  const system = new System({ logger: quietLogger() });
  const { addr } = collector(system);
  const echo = spawnEcho(system, addr).start();
  echo.send({ kind: 'shutdown-system' });
  const exit = await system.whenStopped();
  assert.deepEqual(exit, { code: 4, reason: 'asked by echo', forced: [] });
});

test('a worker actor that stops itself normally is not restarted when transient', async () => {
  const system = new System({ logger: quietLogger() });
  const { addr, replies } = collector(system);
  const echo = spawnEcho(system, addr).restart('transient').start();
  echo.send({ kind: 'stop' });
  await until(() => system.stats()[1]?.state === 'stopped');
  assert.deepEqual(replies, ['stopped']);
  assert.equal(echo.connected, false);
  await system.shutdown();
});

test('a worker actor that keeps failing to start escalates: the system stops with exit code 1', async () => {
  const system = new System({
    logger: quietLogger(),
    restartIntensity: { maxRestarts: 2, period: ms(60_000) },
  });
  const { addr } = collector(system);
  system
    .spawn<typeof FailingStart>({ module: FIXTURES, export: 'FailingStart', args: [addr] })
    .placement('worker')
    .start();
  const exit = await system.whenStopped();
  assert.equal(exit.code, 1);
  assert.match(exit.reason, /actor 'FailingStart' exceeded the restart intensity \(2 restarts in 60000 ms\)/);
  const stats = system.stats()[1];
  assert.ok(stats !== undefined);
  assert.equal(stats.restarts, 2);
  assert.equal(stats.failures, 3, 'the first start and two restarts failed');
  assert.equal(stats.state, 'stopped');
});

test('a module without the named export fails to start; a temporary actor then stays stopped', async () => {
  const { logger, lines } = captureLogger();
  const system = new System({ logger });
  system
    .spawn<typeof Echo>({ module: FIXTURES, export: 'notAClass', args: [collector(system).addr] })
    .placement('worker')
    .restart('temporary')
    .start();
  await system.ready();
  await until(() => system.stats()[1]?.state === 'stopped');
  assert.ok(lines.some((line) => line.msg.includes("no export 'notAClass' that is a class")));
  await system.shutdown();
  await sleep(1);
});
