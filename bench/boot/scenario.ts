/**
 * The boot test's scenario: two copies of the doorway image booted with systemd as PID 1, each
 * in its own network namespace, wired only to each other, provisioned the two documented ways,
 * then pushed: kill -9, a stopped process for the watchdog, an upgrade. Every check is read from
 * outside the machines. Used by `make boot-test` (few kills) and `npm run bench:boot` (20).
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BootError, Machine, fatAt, must, unwireNamespaces, until, wireNamespaces } from './machine.js';

export interface ScenarioOptions {
  readonly image: string;
  readonly workDir: string;
  /** kill -9 of a role's main process, this many times in all (alternating roles and sites). */
  readonly kills: number;
  readonly log: (line: string) => void;
}

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface BootFigures {
  readonly imageBytes: number;
  /** The machine's systemd start to doorway.target active, ms (second boot, configured). */
  readonly bootToTargetMs: number;
  /** The same boot's `systemd-analyze` userspace time, ms. */
  readonly analyzeUserspaceMs: number | null;
  /** The network up (systemd-networkd started, static address) to the first decoded frame from the peer, ms. */
  readonly networkToFirstFrameMs: number;
  /** The machine's systemd start to the first decoded frame from the peer, ms. */
  readonly bootToFirstFrameMs: number;
  /** kill -9 of a role's main process to media flowing again both ways, ms each. */
  readonly killToMediaMs: readonly number[];
  /** SIGSTOP of the video role to media flowing again (the watchdog fired), ms. */
  readonly watchdogToMediaMs: number;
  /** `systemd-analyze security` exposure per unit, on the booted system. */
  readonly exposure: Readonly<Record<string, number>>;
}

export interface ScenarioResult {
  readonly checks: readonly Check[];
  readonly figures: BootFigures;
}

const SITES = [
  { name: 'dwa', site: 'site-a', address: '10.77.0.1' },
  { name: 'dwb', site: 'site-b', address: '10.77.0.2' },
] as const;
const VIDEO_STATUS = 9464;
const AUDIO_STATUS = 9465;
const WAITING_PAGE = 8080;
const ROLES = ['doorway-video.service', 'doorway-audio.service'] as const;
const UNITS = [...ROLES, 'doorway-provision.service'] as const;

interface InboundView {
  readonly flowing: boolean;
  readonly packetsReceived: number;
}

interface RoleView {
  readonly pid: number;
  readonly inbound: readonly InboundView[];
}

function roleView(value: unknown): RoleView | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as { process?: { pid?: unknown }; inbound?: unknown };
  if (typeof v.process?.pid !== 'number' || !Array.isArray(v.inbound)) return null;
  const inbound = (v.inbound as unknown[]).map((leg) => {
    const l = leg as { flowing?: unknown; packetsReceived?: unknown };
    return { flowing: l.flowing === true, packetsReceived: Number(l.packetsReceived ?? 0) };
  });
  return { pid: v.process.pid, inbound };
}

function siteJson(self: (typeof SITES)[number], peer: (typeof SITES)[number], peerKey: string): string {
  return `${JSON.stringify(
    {
      site: self.site,
      profile: 'dev',
      privateKeyPath: '/etc/doorway/keys/private.key',
      peer: { site: peer.site, host: peer.address, port: 47000, publicKey: peerKey },
      ports: { media: 47000, metrics: VIDEO_STATUS, status: WAITING_PAGE },
      devices: {
        camera: { source: 'synthetic', width: 640, height: 360, fps: 30 },
        display: { sink: 'headless', fullscreen: false },
        audio: { capture: 'synthetic', playback: 'null', echoCancel: false },
      },
      bitrate: { videoMinKbps: 500, videoMaxKbps: 2000, audioKbps: 64 },
    },
    null,
    2,
  )}\n`;
}

function networkFile(machine: string, address: string): string {
  return `[Match]\nName=${machine}0\n\n[Network]\nAddress=${address}/24\n`;
}

/**
 * When a unit (or the manager, unit null) reached a state, in ms of CLOCK_MONOTONIC: the
 * machines share the host's kernel and its monotonic clock, so this compares with `monotonicMs`.
 */
function timestampMs(machine: Machine, unit: string | null, property: string): number {
  const name = `${property}Monotonic`;
  const value = machine.show(unit ?? '', [name]).get(name);
  const us = Number(value);
  if (value === undefined || !Number.isFinite(us) || us === 0) {
    throw new BootError(`${machine.name}: ${unit ?? 'systemd'} has no ${name}`);
  }
  return us / 1000;
}

/** The host's CLOCK_MONOTONIC in ms (what process.hrtime reads on Linux). */
function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const { log } = options;
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string): void => {
    checks.push({ name, ok, detail });
    log(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
  };

  rmSync(options.workDir, { recursive: true, force: true });
  mkdirSync(options.workDir, { recursive: true });
  const imageBytes = statSync(options.image).size;
  const [siteA, siteB] = SITES;
  const machines = SITES.map((s) => {
    const image = join(options.workDir, `${s.name}.raw`);
    must('cp', ['--sparse=always', options.image, image]);
    // The documented provisioning folder: only the network for now, no site config.
    const net = join(options.workDir, `${s.name}-10-boot-test.network`);
    writeFileSync(net, networkFile(s.name, s.address));
    must('mmd', ['-i', fatAt(image), '::/site/network']);
    must('mcopy', ['-i', fatAt(image), net, '::/site/network/10-boot-test.network']);
    return new Machine({
      name: s.name,
      image,
      consoleLog: join(options.workDir, `${s.name}.console.log`),
      workDir: options.workDir,
    });
  });
  const [a, b] = machines as [Machine, Machine];
  wireNamespaces(siteA.name, siteB.name);

  const targetActive = async (m: Machine, timeoutMs = 90_000): Promise<void> => {
    await until(`${m.name}: doorway.target active`, timeoutMs, () =>
      m.exec(['systemctl', 'is-active', 'doorway.target']).stdout.trim() === 'active' ? true : null,
    );
  };
  const rolesReady = async (m: Machine): Promise<Map<string, string>> => {
    const status = new Map<string, string>();
    for (const unit of ROLES) {
      const text = await until(`${m.name}: ${unit} READY`, 90_000, () => {
        const p = m.show(unit, ['ActiveState', 'SubState', 'StatusText']);
        return p.get('ActiveState') === 'active' && p.get('SubState') === 'running'
          ? (p.get('StatusText') ?? '')
          : null;
      });
      status.set(unit, text);
    }
    return status;
  };
  const view = (m: Machine, port: number): RoleView | null => roleView(m.getJson(port, '/status.json'));
  const flowing = (v: RoleView | null): boolean =>
    v !== null && v.inbound.length > 0 && v.inbound.every((leg) => leg.flowing);
  const mediaBothWays = (): boolean =>
    machines.every((m) => flowing(view(m, VIDEO_STATUS)) && flowing(view(m, AUDIO_STATUS)));

  const killToMediaMs: number[] = [];
  let watchdogToMediaMs = Number.NaN;
  let bootToTargetMs = Number.NaN;
  let analyzeUserspaceMs: number | null = null;
  let networkToFirstFrameMs = Number.NaN;
  let bootToFirstFrameMs = Number.NaN;
  const exposure: Record<string, number> = {};

  try {
    // First boot of both: no site config, so each makes its key pair and waits, saying why.
    for (const m of machines) await m.boot();
    const keys = new Map<string, string>();
    for (const m of machines) {
      await targetActive(m);
      const status = await rolesReady(m);
      check(
        `${m.name}: first boot, both roles READY and waiting with the reason`,
        [...status.values()].every(
          (t) => t.startsWith('waiting for a site config:') && t.includes('site.json'),
        ),
        [...status.entries()].map(([u, t]) => `${u}: ${t}`).join('; '),
      );
      const page = (await until(`${m.name}: waiting page`, 30_000, () =>
        m.getJson(WAITING_PAGE, '/status.json'),
      )) as {
        reason?: string;
        publicKey?: string;
      };
      const publicKey = readFileSync(m.path('/etc/doorway/public.key'), 'utf8').trim();
      check(
        `${m.name}: status page shows the reason and this site's public key`,
        typeof page.reason === 'string' && page.reason.includes('site.json') && page.publicKey === publicKey,
        `reason: ${String(page.reason)}; key ${String(page.publicKey)}`,
      );
      keys.set(m.name, publicKey);
    }
    const keyA = keys.get(a.name) ?? '';
    const keyB = keys.get(b.name) ?? '';

    // Bad input: an invalid site.json leaves the roles up, names the field, and is retried.
    const restartsBefore = a.show('doorway-video.service', ['NRestarts']).get('NRestarts');
    writeFileSync(
      a.path('/etc/doorway/site.json'),
      siteJson(siteA, siteB, keyB).replace('"site-a"', '"Site A"'),
    );
    const badReason = await until(`${a.name}: the page names the bad field`, 20_000, () => {
      const page = a.getJson(WAITING_PAGE, '/status.json') as { reason?: string } | null;
      return page?.reason?.includes(': site:') === true ? page.reason : null;
    });
    const restartsAfter = a.show('doorway-video.service', ['NRestarts']).get('NRestarts');
    check(
      `${a.name}: an invalid site.json is shown, not restarted over`,
      restartsBefore === restartsAfter,
      `${badReason} (restarts ${String(restartsBefore)} → ${String(restartsAfter)})`,
    );

    // Site A provisioned on the running machine, through /etc/doorway; `doorway pair` works there.
    writeFileSync(a.path('/etc/doorway/site.json'), siteJson(siteA, siteB, keyB), { mode: 0o644 });
    const pair = a.execOk([
      '/opt/doorway/bin/doorway',
      'pair',
      '--site',
      '/etc/doorway/site.json',
      '--no-qr',
    ]);
    check(`${a.name}: doorway pair shows this site's key`, pair.includes(keyA), pair.trim());

    // Site B provisioned the documented way: powered off, site.json into the boot partition's
    // site/ folder, booted again. Its key pair survives the reboot.
    await b.powerOff();
    const siteFileB = join(options.workDir, 'site-b.json');
    writeFileSync(siteFileB, siteJson(siteB, siteA, keyA));
    must('mcopy', ['-o', '-i', fatAt(b.image), siteFileB, '::/site/site.json']);
    await b.boot();
    await targetActive(b);
    await rolesReady(b);
    const firstFrameAt = await until(
      `${b.name}: first decoded frame from ${a.name}`,
      60_000,
      () => {
        const v = view(b, VIDEO_STATUS);
        return v?.inbound.some((leg) => leg.packetsReceived > 0 && leg.flowing) === true
          ? monotonicMs()
          : null;
      },
      50,
    );
    const bootAt = timestampMs(b, null, 'UserspaceTimestamp');
    bootToTargetMs = timestampMs(b, 'doorway.target', 'ActiveEnterTimestamp') - bootAt;
    networkToFirstFrameMs = firstFrameAt - timestampMs(b, 'systemd-networkd.service', 'ActiveEnterTimestamp');
    bootToFirstFrameMs = firstFrameAt - bootAt;
    const analyze = b.exec(['systemd-analyze']).stdout;
    const userspace = /([\d.]+)(ms|s) \(userspace\)/.exec(analyze);
    analyzeUserspaceMs =
      userspace?.[1] === undefined ? null : Number(userspace[1]) * (userspace[2] === 's' ? 1000 : 1);
    check(
      `${b.name}: key pair kept across a reboot, site.json imported from the boot partition`,
      readFileSync(b.path('/etc/doorway/public.key'), 'utf8').trim() === keyB &&
        readFileSync(b.path('/etc/doorway/site.json'), 'utf8').includes('"site-b"'),
      `key ${keyB}`,
    );
    log(
      `boot ${b.name}: systemd start → doorway.target ${bootToTargetMs.toFixed(0)} ms, network → first frame ${networkToFirstFrameMs.toFixed(0)} ms`,
    );

    await until('media both ways on both roles', 60_000, () => (mediaBothWays() ? true : null), 200);
    check('media flows both ways, video and audio', true, 'every inbound leg of both sites flowing');
    for (const m of machines) {
      for (const unit of ROLES) {
        const t = m.show(unit, ['StatusText']).get('StatusText') ?? '';
        check(`${m.name}: ${unit} READY with its status`, t !== '' && !t.startsWith('waiting'), t);
      }
    }

    // Security, from the booted system.
    for (const unit of UNITS) {
      const out = a.exec(['systemd-analyze', 'security', '--no-pager', unit]);
      const m = /Overall exposure level for \S+: ([\d.]+)/.exec(out.stdout + out.stderr);
      exposure[unit] = m?.[1] === undefined ? Number.NaN : Number(m[1]);
      log(`exposure ${unit}: ${String(exposure[unit])}`);
    }
    check(
      'systemd-analyze security on the booted units',
      Object.values(exposure).every((x) => Number.isFinite(x)),
      JSON.stringify(exposure),
    );

    // The keys: root's alone on disk, the service user reads only its credential.
    const keysMode = a
      .execOk(['stat', '-c', '%a %u', '/etc/doorway/keys', '/etc/doorway/keys/private.key'])
      .trim();
    const mainPid = a.show('doorway-video.service', ['MainPID']).get('MainPID') ?? '0';
    const uidLine = readFileSync(a.path(`/proc/${mainPid}/status`), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Uid:'));
    const uid = uidLine?.split(/\s+/)[1] ?? '';
    const asService = (args: readonly string[]): number =>
      a.exec([
        'nsenter',
        '-t',
        mainPid,
        '-m',
        '--',
        'setpriv',
        `--reuid=${uid}`,
        `--regid=${uid}`,
        '--clear-groups',
        ...args,
      ]).code;
    const onDisk = asService(['cat', '/etc/doorway/keys/private.key']);
    const credential = asService(['cat', '/run/credentials/doorway-video.service/private.key']);
    check(
      'keys: /etc/doorway/keys is 0700 root, the service user reads only its credential',
      keysMode.split('\n').join(' ') === '700 0 600 0' &&
        onDisk !== 0 &&
        credential === 0 &&
        uid !== '0' &&
        uid !== '',
      `modes ${keysMode.split('\n').join(', ')}; uid ${uid}: key file exit ${String(onDisk)}, credential exit ${String(credential)}`,
    );

    // kill -9 of a role's main process: systemd restarts it and media is back.
    for (let i = 0; i < options.kills; i++) {
      const m = i % 2 === 0 ? a : b;
      const unit = Math.floor(i / 2) % 2 === 0 ? ROLES[0] : ROLES[1];
      const before = m.show(unit, ['MainPID', 'NRestarts']);
      const pid = before.get('MainPID') ?? '0';
      const killedAt = Date.now();
      m.execOk(['sh', '-c', `kill -9 ${pid}`]);
      await until(`${m.name}: ${unit} restarted`, 30_000, () => {
        const p = m.show(unit, ['MainPID', 'SubState']);
        return p.get('MainPID') !== pid && p.get('MainPID') !== '0' && p.get('SubState') === 'running'
          ? true
          : null;
      });
      await until(
        `media back after kill -9 of ${m.name} ${unit}`,
        60_000,
        () => (mediaBothWays() ? true : null),
        50,
      );
      const ms = Date.now() - killedAt;
      killToMediaMs.push(ms);
      log(`kill -9 ${m.name} ${unit}: media back in ${String(ms)} ms`);
    }
    check(
      'kill -9: systemd restarts the role and media is back',
      killToMediaMs.length === options.kills,
      killToMediaMs.map(String).join(', ') + ' ms',
    );

    // A stuck pipeline: SIGSTOP; the watchdog fires and systemd restarts the role.
    {
      const unit = 'doorway-video.service';
      const before = a.show(unit, ['MainPID', 'NRestarts']);
      const pid = before.get('MainPID') ?? '0';
      const stoppedAt = Date.now();
      a.execOk(['sh', '-c', `kill -STOP ${pid}`]);
      await until(`${a.name}: the watchdog restarts ${unit}`, 40_000, () => {
        const p = a.show(unit, ['MainPID', 'SubState']);
        return p.get('MainPID') !== pid && p.get('SubState') === 'running' ? true : null;
      });
      await until('media back after the watchdog', 60_000, () => (mediaBothWays() ? true : null), 50);
      watchdogToMediaMs = Date.now() - stoppedAt;
      const journal = a.exec(['journalctl', '-u', unit, '--no-pager', '-o', 'cat']).stdout;
      check(
        'SIGSTOP: the watchdog fires and systemd restarts the role',
        /[Ww]atchdog timeout/.test(journal),
        `media back ${String(watchdogToMediaMs)} ms after SIGSTOP`,
      );
    }

    // An upgrade keeps the site's keys, config and handshake counters: no counter goes back.
    const counterNames = ['video-initiator', 'video-responder', 'audio-initiator', 'audio-responder'];
    const counters = (m: Machine): Map<string, bigint> => {
      const out = new Map<string, bigint>();
      for (const name of counterNames) {
        try {
          out.set(
            name,
            BigInt(readFileSync(m.path(`/var/lib/private/doorway/${name}.counter`), 'utf8').trim()),
          );
        } catch {
          // Not written yet.
        }
      }
      return out;
    };
    const beforeUpgrade = counters(a);
    await a.powerOff();
    must('bash', ['scripts/image/upgrade.sh', options.image, a.image], 120_000);
    await a.boot();
    await targetActive(a);
    await rolesReady(a);
    await until('media both ways after the upgrade', 90_000, () => (mediaBothWays() ? true : null), 200);
    // A fresh handshake each way after the upgrade: the responders have accepted new counters.
    await sleep(500);
    const afterUpgrade = counters(a);
    const backwards = [...beforeUpgrade].filter(([n, v]) => (afterUpgrade.get(n) ?? -1n) < v);
    check(
      `${a.name}: upgrade keeps keys, site.json and counters (none goes backwards)`,
      beforeUpgrade.size > 0 &&
        backwards.length === 0 &&
        readFileSync(a.path('/etc/doorway/public.key'), 'utf8').trim() === keyA,
      [...beforeUpgrade].map(([n, v]) => `${n} ${v.toString()} → ${String(afterUpgrade.get(n))}`).join(', '),
    );
  } catch (err) {
    check('boot test ran to the end', false, err instanceof Error ? err.message : String(err));
  } finally {
    for (const m of machines) {
      try {
        // What each machine's journal says, for whoever reads a failure.
        const journal = m.exec(['journalctl', '--no-pager', '-b', '-o', 'short-monotonic'], 60_000).stdout;
        writeFileSync(join(options.workDir, `${m.name}.journal.log`), journal);
      } catch {
        // Not booted.
      }
      try {
        await m.powerOff(30_000);
      } catch {
        await m.kill();
      }
    }
    unwireNamespaces([siteA.name, siteB.name]);
  }
  return {
    checks,
    figures: {
      imageBytes,
      bootToTargetMs,
      analyzeUserspaceMs,
      networkToFirstFrameMs,
      bootToFirstFrameMs,
      killToMediaMs,
      watchdogToMediaMs,
      exposure,
    },
  };
}
