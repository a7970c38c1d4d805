/**
 * SystemdNotifier against a real AF_UNIX datagram socket, as systemd's own: messages go through
 * libsystemd's sd_notify() and are read by the python3 listener in test/support (Node cannot bind
 * a unix datagram socket), which also reports the sender's pid from SCM_CREDENTIALS, as systemd
 * checks it for NotifyAccess=main.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { LibsystemdUnavailableError, SystemdNotifier, SystemdNotifyError } from '../src/systemd/index.js';
import { NotifyListener } from './support/notify-listener.js';
import { scratch } from './support/tree.js';

const originalSocket = process.env.NOTIFY_SOCKET;
afterEach(() => {
  if (originalSocket === undefined) delete process.env.NOTIFY_SOCKET;
  else process.env.NOTIFY_SOCKET = originalSocket;
});

describe('SystemdNotifier through libsystemd', () => {
  it('sends READY, STATUS, WATCHDOG and STOPPING to a socket path, from this process', async () => {
    const tmp = scratch('notify');
    const path = join(tmp.dir, 'notify.sock');
    const listener = await NotifyListener.start(path);
    try {
      process.env.NOTIFY_SOCKET = path;
      const notifier = new SystemdNotifier();
      assert.equal(notifier.enabled, true);

      assert.equal(notifier.ready('media path up\nsecond line'), true);
      assert.equal(notifier.status('media flowing'), true);
      assert.equal(notifier.watchdog(), true);
      assert.equal(notifier.stopping(), true);
      const got = [
        await listener.next(),
        await listener.next(),
        await listener.next(),
        await listener.next(),
      ];
      assert.deepEqual(
        got.map((d) => d.text),
        // The newline inside the status would have started a new assignment: it became a space.
        ['READY=1\nSTATUS=media path up second line', 'STATUS=media flowing', 'WATCHDOG=1', 'STOPPING=1'],
      );
      for (const d of got) assert.equal(d.pid, process.pid, 'the kernel names this process as the sender');

      notifier.close();
      notifier.close();
      assert.equal(notifier.enabled, false);
      assert.equal(notifier.watchdog(), false, 'a closed notifier sends nothing');
      // Nothing reached the socket after close: the next datagram is this second notifier's.
      const second = new SystemdNotifier();
      second.status('sentinel');
      assert.equal((await listener.next()).text, 'STATUS=sentinel');
      second.close();
    } finally {
      listener.stop();
      tmp.remove();
    }
  });

  it('sends to an abstract socket name starting with @', async () => {
    const name = `@doorway-notify-test-${String(process.pid)}-${randomBytes(4).toString('hex')}`;
    const listener = await NotifyListener.start(name);
    try {
      process.env.NOTIFY_SOCKET = name;
      const notifier = new SystemdNotifier();
      assert.equal(notifier.ready(), true);
      const ready = await listener.next();
      assert.deepEqual({ pid: ready.pid, text: ready.text }, { pid: process.pid, text: 'READY=1' });
      notifier.close();
    } finally {
      listener.stop();
    }
  });

  it('throws SystemdNotifyError with the errno when the socket is not there', () => {
    const tmp = scratch('notify-missing');
    try {
      const path = join(tmp.dir, 'nobody-listens.sock');
      process.env.NOTIFY_SOCKET = path;
      const notifier = new SystemdNotifier();
      assert.throws(
        () => notifier.ready(),
        (err: unknown) =>
          err instanceof SystemdNotifyError && err.errno === 'ENOENT' && err.message.includes(path),
      );
      notifier.close();
    } finally {
      tmp.remove();
    }
  });
});

describe('SystemdNotifier outside systemd and when misconfigured', () => {
  it('does nothing without NOTIFY_SOCKET, and loads no library at all', () => {
    // A library that cannot exist: were it opened, the constructor would throw.
    const notifier = new SystemdNotifier({
      env: { WATCHDOG_USEC: '10000000' },
      soname: 'libdoorway-no-such-library.so.0',
    });
    assert.equal(notifier.enabled, false);
    assert.equal(notifier.ready('up'), false);
    assert.equal(notifier.status('x'), false);
    assert.equal(notifier.watchdog(), false);
    assert.equal(notifier.stopping(), false);
    assert.equal(notifier.watchdogIntervalMs(), null, 'no watchdog without a socket to feed it through');
    notifier.close();
  });

  it('treats an empty NOTIFY_SOCKET as none', () => {
    const notifier = new SystemdNotifier({ env: { NOTIFY_SOCKET: '' }, soname: 'libdoorway-none.so.0' });
    assert.equal(notifier.enabled, false);
  });

  it('names the library in one line when libsystemd cannot be opened under systemd', () => {
    process.env.NOTIFY_SOCKET = '/run/systemd/notify';
    assert.throws(
      () => new SystemdNotifier({ soname: 'libdoorway-no-such-library.so.0' }),
      (err: unknown) =>
        err instanceof LibsystemdUnavailableError &&
        err.soname === 'libdoorway-no-such-library.so.0' &&
        err.message.includes('libdoorway-no-such-library.so.0') &&
        !err.message.includes('\n'),
    );
  });

  it('names the library when it opens but has no sd_notify', () => {
    process.env.NOTIFY_SOCKET = '/run/systemd/notify';
    const notifier = new SystemdNotifier({ soname: 'libc.so.6' });
    assert.throws(
      () => notifier.ready(),
      (err: unknown) => err instanceof LibsystemdUnavailableError && err.message.includes('libc.so.6'),
    );
    notifier.close();
  });

  it('says so when NOTIFY_SOCKET vanished from the environment after start', () => {
    process.env.NOTIFY_SOCKET = '/run/systemd/notify';
    const notifier = new SystemdNotifier();
    delete process.env.NOTIFY_SOCKET;
    assert.throws(
      () => notifier.watchdog(),
      (err: unknown) =>
        err instanceof SystemdNotifyError && err.message.includes('no longer in the environment'),
    );
    notifier.close();
  });

  it('refuses a NOTIFY_SOCKET that is not the one libsystemd will read', () => {
    process.env.NOTIFY_SOCKET = '/run/systemd/notify';
    assert.throws(
      () => new SystemdNotifier({ env: { NOTIFY_SOCKET: '/tmp/elsewhere.sock' } }),
      SystemdNotifyError,
    );
  });
});

describe('SystemdNotifier watchdog interval', () => {
  const socket = '/run/systemd/notify';
  function interval(env: Record<string, string>, pid = process.pid): number | null {
    process.env.NOTIFY_SOCKET = socket;
    const notifier = new SystemdNotifier({ env: { NOTIFY_SOCKET: socket, ...env }, pid });
    try {
      return notifier.watchdogIntervalMs();
    } finally {
      notifier.close();
    }
  }

  it('is half of WATCHDOG_USEC, in ms', () => {
    assert.equal(interval({ WATCHDOG_USEC: '10000000' }), 5000);
    assert.equal(interval({ WATCHDOG_USEC: '3000000' }), 1500);
    assert.equal(interval({ WATCHDOG_USEC: '1000' }), 1, 'never rounds down to zero');
  });

  it('applies when WATCHDOG_PID names this process', () => {
    assert.equal(interval({ WATCHDOG_USEC: '10000000', WATCHDOG_PID: String(process.pid) }), 5000);
    assert.equal(interval({ WATCHDOG_USEC: '8000000', WATCHDOG_PID: '4242' }, 4242), 4000);
  });

  it('is null when WATCHDOG_PID names another process', () => {
    assert.equal(interval({ WATCHDOG_USEC: '10000000', WATCHDOG_PID: String(process.pid + 1) }), null);
    assert.equal(interval({ WATCHDOG_USEC: '10000000', WATCHDOG_PID: 'abc' }), null);
  });

  it('is null when WATCHDOG_USEC is absent, zero or not a number', () => {
    assert.equal(interval({}), null);
    for (const bad of ['0', '', '-5', '10s', '1e6', ' 1000', '99999999999999999999']) {
      assert.equal(interval({ WATCHDOG_USEC: bad }), null, `WATCHDOG_USEC='${bad}'`);
    }
  });

  it('is null once closed', () => {
    process.env.NOTIFY_SOCKET = socket;
    const notifier = new SystemdNotifier({ env: { NOTIFY_SOCKET: socket, WATCHDOG_USEC: '10000000' } });
    assert.equal(notifier.watchdogIntervalMs(), 5000);
    notifier.close();
    assert.equal(notifier.watchdogIntervalMs(), null);
  });
});
