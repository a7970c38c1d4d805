import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  ActorDisconnectedError,
  AddrNotShareableError,
  RemoteNode,
  RemoteProtocolError,
  System,
  ms,
  type Actor,
  type Addr,
  type Context,
} from '../src/actors/index.js';
import {
  captureLogger,
  isPing,
  isPong,
  quietLogger,
  socketPath,
  until,
  type Ping,
  type Pong,
} from './fixtures/actors-helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/actors-child.js', import.meta.url));
const FAST = {
  heartbeat: { interval: ms(50), timeout: ms(200) },
  reconnect: { initialDelay: ms(10), maxDelay: ms(50) },
};

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function sinkOf<M>(system: System, name: string): { addr: Addr<M>; got: M[] } {
  const got: M[] = [];
  const addr = system
    .spawn((): Actor<M> => ({
      name,
      handle: (_ctx: Context<M>, message: M) => {
        got.push(message);
      },
    }))
    .start();
  return { addr, got };
}

async function node(
  name: string,
  path?: string,
  options: Partial<ConstructorParameters<typeof RemoteNode>[0]> = {},
) {
  const remote = new RemoteNode({
    name,
    logger: quietLogger(),
    ...FAST,
    ...options,
    ...(path === undefined ? {} : { socketPath: path }),
  });
  if (path !== undefined) await remote.listen();
  cleanups.push(() => remote.close());
  return remote;
}

test('a message crosses to an actor exposed by another node, checked by its guard', async () => {
  const system = new System({ logger: quietLogger() });
  const { addr, got } = sinkOf<Ping>(system, 'echo');
  const serverPath = socketPath('server');
  const server = await node('video', serverPath);
  server.expose('echo', addr, isPing);
  const client = await node('control');
  const peer = client.peer(serverPath);
  assert.equal(client.peer(serverPath), peer, 'one peer per path');
  const echo = peer.recipient<Ping>('echo');
  assert.equal(echo.name, 'echo');
  await peer.whenConnected();
  await peer.whenConnected();
  assert.equal(echo.connected, true);
  assert.deepEqual(echo.send({ kind: 'ping', seq: 1 }), { ok: true });
  assert.deepEqual(echo.sendDropOldest({ kind: 'ping', seq: 2 }), { ok: true });
  peer.recipient<unknown>('echo').send({ kind: 'not a ping' });
  peer.recipient<Ping>('nobody').send({ kind: 'ping', seq: 3 });
  echo.send({ kind: 'ping', seq: 4 });
  await until(() => got.length >= 3);
  assert.deepEqual(got, [
    { kind: 'ping', seq: 1 },
    { kind: 'ping', seq: 2 },
    { kind: 'ping', seq: 4 },
  ]);
  await until(() => server.stats().rejected === 2);
  assert.deepEqual(server.stats(), {
    delivered: 3,
    rejected: 2,
    undeliverable: 0,
    sent: 0,
    connectedPeers: 0,
  });
  assert.equal(client.stats().sent, 5);
  assert.equal(client.stats().connectedPeers, 1);
  assert.throws(() => echo.share(), AddrNotShareableError);
  await system.shutdown();
  echo.send({ kind: 'ping', seq: 5 });
  await until(() => server.stats().undeliverable === 1);
});

test('while the peer is away sends answer disconnected; the link comes back by itself', async () => {
  const system = new System({ logger: quietLogger() });
  const { addr, got } = sinkOf<Ping>(system, 'echo');
  const path = socketPath('restart');
  const client = await node('control');
  const peer = client.peer(path);
  const echo = peer.recipient<Ping>('echo');
  assert.deepEqual(echo.send({ kind: 'ping', seq: 0 }), { ok: false, reason: 'disconnected' });
  assert.throws(() => {
    echo.sendOrThrow({ kind: 'ping', seq: 0 });
  }, ActorDisconnectedError);
  const first = await node('video', path);
  first.expose('echo', addr, isPing);
  await peer.whenConnected();
  echo.send({ kind: 'ping', seq: 1 });
  await until(() => got.length === 1);
  const events: string[] = [];
  peer.on('disconnected', () => events.push('disconnected'));
  peer.on('connected', () => events.push('connected'));
  await first.close();
  await peer.whenDisconnected();
  assert.deepEqual(echo.send({ kind: 'ping', seq: 2 }), { ok: false, reason: 'disconnected' });
  const second = await node('video', path);
  second.expose('echo', addr, isPing);
  await peer.whenConnected();
  echo.send({ kind: 'ping', seq: 3 });
  await until(() => got.length === 2);
  assert.deepEqual(got, [
    { kind: 'ping', seq: 1 },
    { kind: 'ping', seq: 3 },
  ]);
  assert.deepEqual(events, ['disconnected', 'connected']);
  await system.shutdown();
});

test('a full write buffer answers full instead of queueing without bound', async () => {
  const path = socketPath('full');
  const server = createServer((socket) => {
    socket.pause(); // Reads nothing: the kernel buffers fill up.
    cleanups.push(() => {
      socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  );
  const client = await node('control', undefined, {
    maxQueuedBytes: 1024,
    heartbeat: { interval: ms(10_000), timeout: ms(30_000) },
  });
  const peer = client.peer(path);
  await peer.whenConnected();
  const big = peer.recipient<string>('sink');
  const payload = 'x'.repeat(256 * 1024);
  const results: string[] = [];
  for (let i = 0; i < 64 && !results.includes('full'); i++) {
    const result = big.send(payload);
    results.push(result.ok ? 'ok' : result.reason);
  }
  assert.equal(results.at(-1), 'full');
});

test('a peer that stops answering is dropped by the heartbeat', async () => {
  const path = socketPath('silent');
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket); // Accepts, then says nothing, as a hung process would.
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  });
  const { logger, lines } = captureLogger();
  const client = await node('control', undefined, { logger });
  const peer = client.peer(path);
  await peer.whenConnected();
  const started = Date.now();
  await peer.whenDisconnected();
  assert.ok(Date.now() - started < 1000);
  assert.ok(lines.some((line) => line.msg.includes('timed out')));
  peer.close();
});

test('frames that break the protocol drop the connection', async () => {
  const { logger, lines } = captureLogger();
  const path = socketPath('protocol');
  const server = await node('video', path, { logger, maxFrameBytes: 1024 });
  server.expose(
    'echo',
    {
      name: 'echo',
      connected: true,
      send: () => ({ ok: true }),
      sendDropOldest: () => ({ ok: true }),
      sendOrThrow: () => undefined,
    },
    isPing,
  );
  const attempt = async (bytes: Buffer): Promise<void> => {
    const socket = createConnection(path);
    await once(socket, 'connect');
    socket.write(bytes);
    await once(socket, 'close');
  };
  const frame = (body: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, body.length]), body]);
  await attempt(Buffer.from([0, 0, 0x10, 0])); // 4096 bytes announced, above the limit.
  await attempt(frame(Buffer.from([0xc1]))); // 0xc1 is never used by msgpack.
  await attempt(frame(Buffer.from([0x92, 0x07, 0x01]))); // [7, 1]: no such frame.
  await attempt(frame(Buffer.from([0x93, 0x01, 0xa4, 0x65, 0x63, 0x68, 0x6f, 0x01]))); // A message before hello.
  const messages = lines.map((line) => line.msg);
  assert.ok(messages.includes("remote peer '?': frame of 4096 bytes exceeds the limit"));
  assert.equal(messages.filter((message) => message === "remote peer '?': undecodable frame").length, 2);
  assert.equal(server.stats().delivered, 0);
});

test('listen replaces a stale socket file but refuses one in use', async () => {
  const path = socketPath('stale');
  writeFileSync(path, '');
  const first = await node('video', path);
  const second = new RemoteNode({ name: 'video-2', socketPath: path, logger: quietLogger() });
  await assert.rejects(second.listen(), RemoteProtocolError);
  await assert.rejects(new RemoteNode({ name: 'nowhere', logger: quietLogger() }).listen(), /no socketPath/);
  await first.close();
});

test('a peer process killed with SIGKILL shows up as disconnected promptly, never as a hang', async () => {
  const system = new System({ logger: quietLogger() });
  const { addr, got } = sinkOf<Pong>(system, 'sink');
  const parentPath = socketPath('parent');
  const childPath = socketPath('child');
  cleanups.push(() => {
    rmSync(childPath, { force: true }); // Left behind by the killed child.
  });
  const parent = await node('parent', parentPath);
  parent.expose('sink', addr, isPong);
  const spawnChild = async (): Promise<ChildProcess> => {
    const child = fork(CHILD, ['remote', parentPath, childPath], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    cleanups.push(() => {
      child.kill('SIGKILL');
    });
    await once(child, 'message');
    return child;
  };
  const child = await spawnChild();
  const peer = parent.peer(childPath);
  const echo = peer.recipient<Ping>('echo');
  await peer.whenConnected();
  echo.send({ kind: 'ping', seq: 1 });
  await until(() => got.length === 1);
  assert.deepEqual(got, [{ kind: 'pong', seq: 1, pid: child.pid }]);

  const killedAt = Date.now();
  child.kill('SIGKILL');
  await peer.whenDisconnected();
  const noticedAfter = Date.now() - killedAt;
  assert.ok(noticedAfter < 500, `noticed after ${noticedAfter} ms`);
  assert.deepEqual(echo.send({ kind: 'ping', seq: 2 }), { ok: false, reason: 'disconnected' });
  assert.equal(echo.connected, false);

  const replacement = await spawnChild();
  await peer.whenConnected();
  echo.send({ kind: 'ping', seq: 3 });
  await until(() => got.length === 2);
  assert.deepEqual(got[1], { kind: 'pong', seq: 3, pid: replacement.pid });
  await system.shutdown();
});
