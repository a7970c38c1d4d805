/**
 * A private PulseAudio server with one null sink, for the tests that run the PortAudio port on a
 * machine without a sound card: PortAudio's ALSA host API reaches it through ALSA's pulse plugin
 * (device "pulse"), and what is played into the sink comes back on its monitor, the server's only
 * source. The server keeps everything in a scratch folder; clients find it through `clientEnv`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { scratch } from './tree.js';

const PLUGIN = join('alsa-lib', 'libasound_module_pcm_pulse.so');

/**
 * Why the PulseAudio tests cannot run on this machine, or undefined when they can. These are test
 * packages (hardware/features.json), installed by `make test`.
 */
export function pulseAudioMissing(): string | undefined {
  const missing: string[] = [];
  for (const tool of ['pulseaudio', 'pactl']) {
    if (!onPath(tool)) missing.push(`${tool} (Debian package pulseaudio)`);
  }
  if (alsaPulsePlugin() === undefined) {
    missing.push(`ALSA's pulse plugin, ${PLUGIN} (Debian package libasound2-plugins)`);
  }
  if (missing.length === 0) return undefined;
  return (
    `not installed: ${missing.join('; ')}. They are test packages: ` +
    `bash scripts/install-system-deps.sh ci --test installs them`
  );
}

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    if (dir === '') return false;
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The plugin's path in any of the library folders, multiarch ones included. */
function alsaPulsePlugin(): string | undefined {
  const dirs = ['/usr/lib', '/usr/lib64', '/lib', '/lib64'];
  for (const root of ['/usr/lib', '/lib']) {
    try {
      for (const name of readdirSync(root)) if (name.endsWith('-linux-gnu')) dirs.push(join(root, name));
    } catch {
      // No such folder on this machine.
    }
  }
  return dirs.map((dir) => join(dir, PLUGIN)).find((file) => existsSync(file));
}

export interface PulseAudio {
  /** What a client needs to reach this server and no other: merge into a child's environment. */
  readonly clientEnv: Readonly<Record<string, string>>;
  /** The running server's process id (a new one after `restart`). */
  readonly pid: number | undefined;
  /** When the running server first answered `pactl info`, ms on the realtime clock. */
  readonly answeredAt: number;
  /**
   * When the server found a playback stream empty while its sink wanted audio, since the first
   * start (read from its debug log as it came), ms on the realtime clock. ALSA's pulse plugin does
   * not always pass these on as xruns: after a 150 ms stall of the client, PortAudio reported none
   * in 4 of 6 tries, and the echo path had moved by tens of milliseconds.
   */
  readonly underrunTimes: readonly number[];
  /** Ends the server with `signal` (SIGKILL: as if it crashed) and waits until it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same socket and waits until it answers. */
  restart(): Promise<void>;
  /** Stops the server and removes its folder. */
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;
/** The sink the tests play into; its monitor is what the "pulse" capture device hears. */
export const SINK = 'doorway_null';
const EXIT_TIMEOUT_MS = 5_000;
/**
 * protocol-native.c's debug line when a playback stream ran dry under a playing sink (an
 * "explicit" one is a stream drained at its client's request, which is no glitch).
 */
const UNDERRUN = 'Implicit underrun of ';

/**
 * Starts the server with a 48 kHz stereo null sink named `doorway_null` and resolves once `pactl
 * info` answers through it. Throws, with the reason, when the packages are missing or the server
 * does not come up.
 */
export async function startPulseAudio(): Promise<PulseAudio> {
  const missing = pulseAudioMissing();
  if (missing !== undefined) throw new Error(`PulseAudio tests: ${missing}`);
  const folder = scratch('pulse');
  // The server's home, runtime and state folders, all private to it.
  const home = join(folder.dir, 'home');
  const runtime = join(folder.dir, 'runtime');
  for (const dir of [home, runtime]) mkdirSync(dir, { mode: 0o700 });
  const socket = join(folder.dir, 'native');
  const clientConf = join(folder.dir, 'client.conf');
  // No autospawn: a client that cannot reach this server fails instead of starting another one.
  // No shared memory: when the server goes away while ALSA's pulse plugin holds a fragment it has
  // peeked at, libpulse's shared-memory import waits for that fragment while holding the lock the
  // plugin needs to release it, and the client process deadlocks (seen more often than not when
  // the server was killed under a running stream). Copied audio avoids it.
  writeFileSync(clientConf, 'autospawn = no\nenable-shm = no\n');
  const clientEnv = {
    PULSE_SERVER: `unix:${socket}`,
    PULSE_CLIENTCONFIG: clientConf,
    // The client writes a cookie if it finds none: here, not in the user's home.
    PULSE_COOKIE: join(folder.dir, 'client-cookie'),
  };
  const serverEnv: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_RUNTIME_DIR: runtime,
    PULSE_RUNTIME_PATH: runtime,
    PULSE_STATE_PATH: join(home, 'state'),
  };
  delete serverEnv.PULSE_SERVER;
  const args = [
    '--daemonize=no',
    '--exit-idle-time=-1',
    '--disallow-exit',
    '--use-pid-file=no',
    '--no-cpu-limit',
    '--disable-shm=yes',
    '--log-target=stderr',
    // Debug, for the underruns it reports (a few hundred lines in a run, most at startup).
    '--log-level=debug',
    // No default.pa: only the modules below.
    '-n',
    `--load=module-null-sink sink_name=${SINK} rate=48000 channels=2 norewinds=1`,
    // No loopback keeping the sink busy (one that read its monitor at 10 ms let streams start at
    // once, but its rate adjustment slipped the sink by one 10 ms block in 2 of 11 runs, and
    // moved the echo path between 1440 and 2076 samples from run to run; without it the path was
    // 3360 samples in every run). The sink is suspended and resumed once it answers, below.
    `--load=module-native-protocol-unix socket=${socket} auth-anonymous=1`,
  ];

  let server: ChildProcess | undefined;
  let log = '';
  let answeredAt = 0;
  const underrunTimes: number[] = [];
  // A log line split across two reads is counted once it is whole.
  let partialLine = '';
  // A test that dies half-way still takes its server with it.
  const killOnExit = (): void => {
    server?.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  const running = (): boolean => server?.exitCode === null && server.signalCode === null;

  const launch = async (): Promise<void> => {
    log = '';
    const child = spawn('pulseaudio', args, { env: serverEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    server = child;
    child.stderr.on('data', (chunk: Buffer) => {
      // The last few kilobytes, for the error when it does not come up.
      const text = chunk.toString();
      log = (log + text).slice(-4000);
      const lines = (partialLine + text).split('\n');
      partialLine = lines.pop() ?? '';
      for (const line of lines) if (line.includes(UNDERRUN)) underrunTimes.push(Date.now());
    });
    let spawnError: Error | undefined;
    child.once('error', (err) => {
      spawnError = err;
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      await sleep(0);
      if (spawnError !== undefined) throw new Error(`pulseaudio did not start: ${spawnError.message}`);
      if (!running()) {
        throw new Error(`pulseaudio exited (${describeExit(child)}) before it answered:\n${log}`);
      }
      if (await answers(clientEnv)) {
        answeredAt = Date.now();
        // Loaded at startup with no reader, the sink has already rendered its first 2 s, which a
        // stream that connects would wait out; suspending and resuming it starts it over.
        await pactl(clientEnv, ['suspend-sink', SINK, '1']);
        await pactl(clientEnv, ['suspend-sink', SINK, '0']);
        return;
      }
      if (Date.now() > deadline) {
        await stop('SIGKILL');
        throw new Error(`pulseaudio did not answer 'pactl info' within ${READY_TIMEOUT_MS} ms:\n${log}`);
      }
      await sleep(50);
    }
  };

  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    const child = server;
    if (child === undefined || !running()) return;
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        resolve();
      });
    });
    child.kill(signal);
    // One that ignores the signal gets SIGKILL.
    const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  try {
    await launch();
  } catch (err) {
    process.removeListener('exit', killOnExit);
    folder.remove();
    throw err;
  }
  return {
    clientEnv,
    get pid() {
      return running() ? server?.pid : undefined;
    },
    get answeredAt() {
      return answeredAt;
    },
    underrunTimes,
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
    close: async () => {
      await stop();
      process.removeListener('exit', killOnExit);
      folder.remove();
    },
  };
}

function describeExit(child: ChildProcess): string {
  return child.signalCode !== null ? `signal ${child.signalCode}` : `status ${String(child.exitCode)}`;
}

/** Whether `pactl info` reaches the server named in `env`. */
async function answers(env: Readonly<Record<string, string>>): Promise<boolean> {
  try {
    return (await pactl(env, ['info'])).includes('Server String');
  } catch {
    return false;
  }
}

/** Runs pactl against the server named in `env`; its stdout, or an error with its stderr. */
export function pactl(env: Readonly<Record<string, string>>, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('pactl', args, { env: { ...process.env, ...env }, timeout: 5000 }, (err, stdout, stderr) => {
      if (err === null) resolve(stdout);
      else reject(new Error(`pactl ${args.join(' ')}: ${stderr.trim() || err.message}`));
    });
  });
}
