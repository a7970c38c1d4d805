/**
 * The units as systemd's own tools see them, without systemd running: `systemd-analyze verify`
 * and `systemd-analyze security --offline` with --root at a scratch DESTDIR that `make install`
 * filled (so ExecStart= is checked against the installed launcher), plus the host's stock units so
 * that sysinit.target and friends resolve. What this cannot show: that PID 1 starts the services,
 * applies the sandbox or honours READY and the watchdog; that needs a booted machine. What stands
 * in for PID 1's side: the installed launcher is run with the environment systemd gives a unit
 * (NOTIFY_SOCKET, WATCHDOG_USEC, CREDENTIALS_DIRECTORY, STATE_DIRECTORY) and a python3 listener
 * checks that READY, WATCHDOG and STOPPING come from the pid systemd would have started.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exited, freePort } from './support/processes.js';
import { HARDWARE, readJson, REPO, scratch, writeJson } from './support/tree.js';

const SERVICES = ['doorway-video.service', 'doorway-audio.service'] as const;
/** Every service the image runs: the roles and first-boot provisioning. */
const ALL_SERVICES = [...SERVICES, 'doorway-provision.service'] as const;
const UNITS = ['doorway.target', ...ALL_SERVICES] as const;
const HOST_UNITS = '/lib/systemd/system';

function analyze(args: string[]): SpawnSyncReturns<string> {
  return spawnSync('systemd-analyze', args, {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, LC_ALL: 'C' },
  });
}

/** A unit file as section → key → values, in file order (keys may repeat). */
function parseUnit(file: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1] !== undefined) {
      current = new Map();
      sections.set(header[1], current);
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(current !== undefined && eq > 0, `${file}: '${line}' outside a section or not key=value`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

function values(unit: Map<string, Map<string, string[]>>, section: string, key: string): string[] {
  return unit.get(section)?.get(key) ?? [];
}

/** A unix datagram socket standing in for systemd's notify socket; python3, as Node cannot bind one. */
const LISTENER = String.raw`
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sys.argv[1])
print(json.dumps({'pid': 0, 'text': 'BOUND'}), flush=True)
while True:
    data, ancillary, _flags, _addr = s.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = [struct.unpack('iII', v[:12])[0] for level, kind, v in ancillary if kind == socket.SCM_CREDENTIALS]
    print(json.dumps({'pid': pid[0] if pid else None, 'text': data.decode()}), flush=True)
`;

function exposure(result: SpawnSyncReturns<string>, unit: string): number {
  const match = new RegExp(`Overall exposure level for ${unit.replace('.', '\\.')}: (\\d+\\.\\d+)`).exec(
    result.stdout,
  );
  assert.ok(match?.[1] !== undefined, `no exposure level for ${unit} in: ${result.stdout}${result.stderr}`);
  return Number(match[1]);
}

describe('systemd units against the installed tree', () => {
  const tmp = scratch('units');
  const root = join(tmp.dir, 'root');
  const unitDir = join(root, 'lib', 'systemd', 'system');

  before(() => {
    const profile = String(readJson(join(REPO, 'build', 'manifest.json')).profile);
    const installed = spawnSync('make', ['-s', 'install', `DESTDIR=${root}`, `PROFILE=${profile}`], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(installed.status, 0, installed.stderr);
    // The host's stock units beside ours (ours win): verify resolves the default dependencies.
    cpSync(HOST_UNITS, unitDir, {
      recursive: true,
      force: false,
      errorOnExist: false,
      verbatimSymlinks: true,
    });
  });
  after(() => {
    tmp.remove();
  });

  for (const unit of UNITS) {
    it(`systemd-analyze verify ${unit}: nothing to say`, () => {
      const result = analyze(['verify', `--root=${root}`, unit]);
      assert.equal(result.stderr, '');
      assert.equal(result.stdout, '');
      assert.equal(result.status, 0);
    });
  }

  it('verify would have spoken: an unknown key and a missing ExecStart binary are reported', () => {
    writeFileSync(
      join(unitDir, 'doorway-broken.service'),
      '[Service]\nExecStart=/opt/doorway/bin/not-there\nWatchdogSecc=10s\n',
    );
    const result = analyze(['verify', `--root=${root}`, 'doorway-broken.service']);
    assert.match(result.stderr, /Unknown key 'WatchdogSecc'/);
    assert.match(result.stderr, /\/opt\/doorway\/bin\/not-there is not executable/);
  });

  for (const unit of ALL_SERVICES) {
    it(`${unit}: systemd-analyze security exposure at most 2.0`, () => {
      const result = analyze(['security', '--offline=true', `--root=${root}`, unit]);
      assert.equal(result.status, 0, result.stderr);
      const level = exposure(result, unit);
      assert.ok(level <= 2.0, `${unit} exposure ${String(level)}`);
    });
  }

  it('security would have told: an unhardened service on the same launcher is exposed', () => {
    writeFileSync(
      join(unitDir, 'doorway-bare.service'),
      '[Service]\nExecStart=/opt/doorway/bin/doorway version\n',
    );
    const result = analyze(['security', '--offline=true', `--root=${root}`, 'doorway-bare.service']);
    assert.ok(exposure(result, 'doorway-bare.service') > 5);
  });

  it("doorway-audio's ExecStart, in the environment systemd gives it, notifies from the main pid", async () => {
    const work = join(tmp.dir, 'run');
    mkdirSync(work);
    const exec = values(parseUnit(join(unitDir, 'doorway-audio.service')), 'Service', 'ExecStart')[0] ?? '';
    const [binary, ...args] = exec.split(/\s+/);
    const launcher = join(root, binary ?? '');
    // The key reaches the service only as a credential: the site's own path does not exist.
    const keygen = spawnSync(launcher, ['keygen', '--out', join(work, 'credentials')], { encoding: 'utf8' });
    assert.equal(keygen.status, 0, keygen.stderr);
    const media = await freePort();
    const site = readJson(join(HARDWARE, 'sites', 'example.json'));
    writeJson(join(work, 'site.json'), {
      ...site,
      profile: String(readJson(join(REPO, 'build', 'manifest.json')).profile),
      privateKeyPath: join(work, 'no-such-dir', 'private.key'),
      peer: { ...(site.peer as object), host: '127.0.0.1', port: await freePort() },
      ports: { media, metrics: await freePort(), status: await freePort() },
      devices: {
        camera: { source: 'synthetic', width: 320, height: 180, fps: 30 },
        display: { sink: 'headless', fullscreen: false },
        audio: { capture: 'synthetic', playback: 'null' },
      },
    });
    mkdirSync(join(work, 'state'));
    const socket = join(work, 'notify.sock');
    const listener = spawn('python3', ['-c', LISTENER, socket], { stdio: ['ignore', 'pipe', 'inherit'] });
    const messages: { pid: number | null; text: string }[] = [];
    let wake = (): void => undefined;
    let buffered = '';
    listener.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        messages.push(JSON.parse(buffered.slice(0, nl)) as { pid: number | null; text: string });
        buffered = buffered.slice(nl + 1);
      }
      wake();
    });
    const until = (what: string, test: (text: string) => boolean, ms = 20_000) =>
      new Promise<{ pid: number | null; text: string }>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`no ${what} within ${String(ms)} ms; got ${JSON.stringify(messages)}`));
        }, ms);
        const look = () => {
          const found = messages.find((m) => test(m.text));
          if (found === undefined) return;
          clearTimeout(timer);
          resolve(found);
        };
        wake = look;
        look();
      });
    try {
      await until('bound listener', (t) => t === 'BOUND');
      const service = spawn(
        launcher,
        args.map((a) => (a === '/etc/doorway/site.json' ? join(work, 'site.json') : a)),
        {
          cwd: '/',
          stdio: ['ignore', 'ignore', 'pipe'],
          env: {
            PATH: process.env.PATH,
            NOTIFY_SOCKET: socket,
            WATCHDOG_USEC: '2000000',
            CREDENTIALS_DIRECTORY: join(work, 'credentials'),
            STATE_DIRECTORY: join(work, 'state'),
          },
        },
      );
      let stderr = '';
      service.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      try {
        const ready = await until('READY=1', (t) => t.startsWith('READY=1\n') || t === 'READY=1').catch(
          (err: unknown) => {
            throw new Error(`${String(err)}; service stderr: ${stderr}`);
          },
        );
        // NotifyAccess=main: the launcher exec'd node, so the sender is the pid systemd forked.
        assert.equal(ready.pid, service.pid);
        const ping = await until('WATCHDOG=1', (t) => t === 'WATCHDOG=1');
        assert.equal(ping.pid, service.pid);
      } finally {
        service.kill('SIGTERM');
      }
      assert.equal(await exited(service), 0, stderr);
      assert.equal((await until('STOPPING=1', (t) => t.startsWith('STOPPING=1'))).pid, service.pid);
      assert.ok(
        readdirSync(join(work, 'state')).length > 0,
        'the handshake counter persists in STATE_DIRECTORY',
      );
    } finally {
      listener.kill();
    }
  });

  for (const unit of ALL_SERVICES) {
    it(`${unit}: the installed doorway accepts ExecStart's options`, () => {
      const exec = values(parseUnit(join(unitDir, unit)), 'Service', 'ExecStart');
      assert.equal(exec.length, 1);
      const [binary, subcommand, ...args] = (exec[0] ?? '').split(/\s+/);
      assert.equal(binary, '/opt/doorway/bin/doorway');
      const help = spawnSync(join(root, binary), [subcommand ?? '', '--help'], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(help.status, 0, help.stderr);
      for (const option of args.filter((a) => a.startsWith('--'))) {
        assert.match(help.stdout, new RegExp(`${option} `), `doorway ${String(subcommand)} knows ${option}`);
      }
    });
  }
});

describe('unit settings the appliance depends on', () => {
  const unit = (name: string) => parseUnit(join(REPO, 'systemd', name));

  it('the target starts provisioning and both roles and is started at boot', () => {
    const target = unit('doorway.target');
    assert.deepEqual(values(target, 'Unit', 'Wants').join(' ').split(/\s+/).sort(), [...ALL_SERVICES].sort());
    assert.deepEqual(values(target, 'Install', 'WantedBy'), ['multi-user.target']);
  });

  for (const name of SERVICES) {
    const role = name === 'doorway-video.service' ? 'video' : 'audio';
    it(`${name}: notify with a watchdog, restarted forever, one role, sandboxed`, () => {
      const u = unit(name);
      const one = (section: string, key: string) => {
        const v = values(u, section, key);
        assert.equal(v.length, 1, `${section}/${key} appears once`);
        return v[0];
      };
      assert.equal(
        one('Service', 'ExecStart'),
        `/opt/doorway/bin/doorway run --site /etc/doorway/site.json --role ${role}`,
      );
      assert.equal(one('Service', 'Type'), 'notify');
      assert.equal(one('Service', 'NotifyAccess'), 'main');
      assert.equal(one('Service', 'WatchdogSec'), '10s');
      assert.equal(one('Service', 'Restart'), 'always');
      assert.equal(one('Service', 'RestartSec'), '1');
      assert.equal(one('Unit', 'StartLimitIntervalSec'), '0');
      assert.equal(one('Unit', 'PartOf'), 'doorway.target');
      assert.equal(one('Install', 'WantedBy'), 'doorway.target');
      assert.equal(one('Service', 'DynamicUser'), 'yes');
      assert.equal(one('Service', 'User'), 'doorway', 'both roles share one dynamic user and its state');
      assert.equal(one('Service', 'StateDirectory'), 'doorway');
      assert.equal(one('Service', 'ConfigurationDirectory'), 'doorway');
      // The run command reads $CREDENTIALS_DIRECTORY/private.key.
      assert.equal(one('Service', 'LoadCredential'), 'private.key:/etc/doorway/keys/private.key');
      assert.equal(one('Service', 'DevicePolicy'), 'closed');
      assert.equal(one('Service', 'CapabilityBoundingSet'), '');
      assert.equal(one('Service', 'AmbientCapabilities'), '');
      assert.equal(one('Service', 'NoNewPrivileges'), 'yes');
      assert.equal(one('Service', 'ProtectSystem'), 'strict');
      // V8's JIT needs writable-then-executable memory.
      assert.deepEqual(values(u, 'Service', 'MemoryDenyWriteExecute'), []);
      const timeout = one('Service', 'TimeoutStartSec') ?? '';
      assert.ok(Number.parseInt(timeout, 10) >= 30, `TimeoutStartSec=${timeout} covers a cold start`);
    });
  }

  it('audio may take realtime priority 10 through limits, not a capability; video may not', () => {
    const audio = unit('doorway-audio.service');
    assert.deepEqual(values(audio, 'Service', 'RestrictRealtime'), ['no']);
    assert.deepEqual(values(audio, 'Service', 'LimitRTPRIO'), ['10']);
    assert.deepEqual(
      values(audio, 'Service', 'LimitRTTIME').length,
      1,
      'a runaway realtime thread is bounded',
    );
    assert.deepEqual(values(audio, 'Service', 'Nice'), ['-11']);
    assert.deepEqual(values(audio, 'Service', 'DeviceAllow'), ['char-alsa rw']);
    const video = unit('doorway-video.service');
    assert.deepEqual(values(video, 'Service', 'RestrictRealtime'), ['yes']);
    assert.deepEqual(values(video, 'Service', 'LimitRTPRIO'), []);
    assert.ok(values(video, 'Service', 'DeviceAllow').includes('char-video4linux rw'));
    assert.ok(values(video, 'Service', 'DeviceAllow').includes('/dev/nvidiactl rw'));
  });
});

describe('udev rule', () => {
  it('parses cleanly in udevadm (checked in a private mount namespace)', (t) => {
    const tmp = scratch('udev');
    try {
      const good = join(tmp.dir, 'good');
      const bad = join(tmp.dir, 'bad');
      mkdirSync(good);
      mkdirSync(bad);
      cpSync(join(REPO, 'systemd', 'udev', '99-doorway-camera.rules'), join(good, '99-doorway-camera.rules'));
      writeFileSync(join(bad, '99-doorway-camera.rules'), 'SUBSYSTEM=="video4linux", BOGUS{x}="1"\n');
      // udevadm reads rules only from the system folders: mount ours over /etc/udev/rules.d,
      // visible to this one command alone.
      const check = (dir: string) =>
        spawnSync(
          'unshare',
          [
            '-m',
            'sh',
            '-c',
            `mount --bind "$0" /etc/udev/rules.d && udevadm test --action=add /sys/class/mem/null`,
            dir,
          ],
          { encoding: 'utf8', timeout: 30_000 },
        );
      const probe = check(bad);
      const badOut = probe.stdout + probe.stderr;
      if (!badOut.includes('Reading rules file')) {
        // No mount namespace here (not root, or a container without CAP_SYS_ADMIN).
        t.skip(`udevadm could not run on our rules: ${badOut.split('\n')[0] ?? String(probe.error)}`);
        return;
      }
      assert.match(badOut, /99-doorway-camera\.rules:1 Invalid key 'BOGUS'/, 'the check sees a broken rule');
      const result = check(good);
      const out = result.stdout + result.stderr;
      assert.match(out, /Reading rules file: \/etc\/udev\/rules\.d\/99-doorway-camera\.rules/);
      const complaints = out.split('\n').filter((l) => l.includes('99-doorway-camera.rules:'));
      assert.deepEqual(complaints, []);
    } finally {
      tmp.remove();
    }
  });
});
