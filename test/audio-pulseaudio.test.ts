/**
 * The PortAudio port on a real audio path without a sound card: a private PulseAudio server with a
 * null sink, reached through ALSA's pulse plugin (device "pulse"). `doorway audio-test` plays its
 * tone into the sink and hears it on the sink's monitor; the engine reports the device lost when
 * the server dies and reacquired when it comes back, and blocks flow again.
 *
 * The null sink renders in 2 s chunks while nothing low-latency is connected, so a stream's first
 * callback comes up to about 2 s after it starts: the waits below allow for that and for a loaded
 * machine, where PortAudio may also stop the stream by itself on an xrun and the port reopens it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startCli } from './support/processes.js';
import { startPulseAudio, type PulseAudio } from './support/pulseaudio.js';
import { REPO } from './support/tree.js';

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Waits for the child to exit with its output; kills it and fails after `timeoutMs`. */
function finished(child: ChildProcess, timeoutMs: number): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`still running after ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Polls `done` (the child reports through its stdout between awaits); fails after `timeoutMs`. */
async function until(what: string, done: () => boolean, timeoutMs: number, log: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}\n${log()}`);
    await sleep(10);
  }
}

interface AudioTestJson {
  capture: { blocks: number; peakDbfs: number };
  playback: { blocks: number; underruns: number };
  lost: number;
  reacquired: number;
  events: string[];
  describe: string;
}

interface PortLine {
  kind: 'lost' | 'reacquired';
  detail: string;
  /** Blocks the child had seen when the event came. */
  blocks: number;
  /** When the child wrote it, ms on the realtime clock. */
  at: number;
}

/** What the engine's child process says, one JSON object per line. */
type EngineLine =
  | { kind: 'started'; at: number }
  | { kind: 'blocks'; blocks: number; at: number }
  | PortLine
  | { kind: 'closed'; stats: { capturedBlocks: number; lost: number; reacquired: number }; at: number };

/**
 * The engine runs in a child process: it reads PULSE_SERVER from its own environment when
 * PortAudio starts, and a native hang in the audio stack becomes this test's timeout instead of
 * this process's. It reports every 10th block, each port event, and its stats once told to close.
 */
const ENGINE_CHILD = `
import { loadAudio } from ${JSON.stringify(pathToFileURL(join(REPO, 'dist', 'test', 'support', 'audio-addon.js')).href)};
const say = (line) => process.stdout.write(JSON.stringify({ ...line, at: Date.now() }) + '\\n');
let blocks = 0;
const engine = loadAudio().createEngine({ port: 'portaudio', capture: 'pulse', playback: 'pulse' }, (e) => {
  if (e.kind === 'block') {
    if (++blocks % 10 === 0) say({ kind: 'blocks', blocks });
  } else if (e.kind === 'lost' || e.kind === 'reacquired') {
    say({ kind: e.kind, detail: e.detail, blocks });
  }
});
engine.start();
say({ kind: 'started' });
process.stdin.once('data', () => {
  process.stdin.destroy();
  const stats = engine.stats();
  engine.close();
  say({ kind: 'closed', stats });
});
`;

describe('the PortAudio port through a PulseAudio null sink', () => {
  let pulse: PulseAudio | undefined;

  before(async () => {
    // Fails, with what is missing, when the test packages are not installed.
    pulse = await startPulseAudio();
  });

  after(async () => {
    await pulse?.close();
  });

  function clientEnv(): NodeJS.ProcessEnv {
    assert.ok(pulse !== undefined, 'the PulseAudio server did not start');
    return { ...process.env, ...pulse.clientEnv };
  }

  it('audio-test plays its tone into the sink and hears it back at full level', async () => {
    const seconds = 4;
    const child = startCli(
      ['audio-test', '--capture', 'pulse', '--playback', 'pulse', '--seconds', String(seconds)],
      clientEnv(),
    );
    const r = await finished(child, 20_000);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as AudioTestJson;
    const said = `audio-test said: ${r.stdout}`;
    assert.match(
      result.describe,
      /^portaudio capture "pulse" \(2 ch\), playback "pulse" \(2 ch\), 480 frames/,
    );
    // Each stop of the stream is reported, and the port takes the device back after it.
    assert.equal(result.events.length, result.lost + result.reacquired, said);
    for (const e of result.events) assert.match(e, /^audio device "pulse": (lost|reacquired) \(/, said);
    assert.ok(result.lost - result.reacquired === 0 || result.lost - result.reacquired === 1, said);
    // 100 blocks a second from the first callback (up to about 2 s in, see above), never more than
    // the run's length. Under load PortAudio 19.6 may stop the stream on an xrun it does not
    // recover from; the port reopens it, but that costs as much again as the start.
    const least = result.lost === 0 ? 100 : 1;
    assert.ok(
      result.capture.blocks >= least && result.capture.blocks <= seconds * 100 + 10,
      `${result.capture.blocks} blocks captured in ${seconds} s; ${said}`,
    );
    // One duplex stream: a block played for every block captured.
    assert.ok(Math.abs(result.playback.blocks - result.capture.blocks) <= 2, said);
    assert.ok(result.playback.underruns <= result.playback.blocks / 10, said);
    // The tone (−12 dBFS) came back through the sink's monitor at the level it was played.
    assert.ok(Math.abs(result.capture.peakDbfs + 12) < 0.5, said);
  });

  it('reports the device lost when the server dies, and reacquired when it is back', async () => {
    const server = pulse;
    assert.ok(server !== undefined, 'the PulseAudio server did not start');
    const child = spawn(process.execPath, ['--input-type=module', '-e', ENGINE_CHILD], {
      env: clientEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const lines: EngineLine[] = [];
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      partial += chunk.toString();
      const complete = partial.split('\n');
      partial = complete.pop() ?? '';
      for (const line of complete) lines.push(JSON.parse(line) as EngineLine);
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('close', resolve));
    const marks: string[] = [];
    const mark = (what: string): number => {
      const at = Date.now();
      marks.push(`${what} at ${at}`);
      return at;
    };
    const blocks = (): number =>
      lines.reduce((n, l) => (l.kind === 'closed' || l.kind === 'started' ? n : l.blocks), 0);
    const events = (): PortLine[] =>
      lines.filter((l): l is PortLine => l.kind === 'lost' || l.kind === 'reacquired');
    const log = (): string =>
      `${marks.join(', ')}\nchild said: ${lines
        .filter((l) => l.kind !== 'blocks')
        .map((l) => JSON.stringify(l))
        .join(' ')}; blocks ${blocks()}\nstderr: ${stderr.slice(-2000)}`;
    /** The first `kind` event the child stamped at or after `since` (its clock is this one's). */
    const eventSince = (kind: PortLine['kind'], since: number): PortLine | undefined =>
      events().find((l) => l.kind === kind && l.at >= since);

    try {
      // Running, and past any stop of its own (see the audio-test case): 30 blocks since the last
      // port event.
      await until(
        'blocks from the running engine',
        () => blocks() >= (events().at(-1)?.blocks ?? 0) + 30,
        10_000,
        log,
      );

      const killed = mark('killing the server');
      await server.stop('SIGKILL');
      await until('a lost event', () => eventSince('lost', killed) !== undefined, 3_000, log);
      const lost = eventSince('lost', killed);
      assert.match(lost?.detail ?? '', /^audio device "pulse": lost \(/, log());

      const restarted = mark('restarting the server');
      await server.restart();
      mark('server answers');
      await until('a reacquired event', () => eventSince('reacquired', restarted) !== undefined, 5_000, log);
      const reacquired = eventSince('reacquired', restarted);
      assert.match(
        reacquired?.detail ?? '',
        /^audio device "pulse": reacquired \(portaudio capture "pulse" \(2 ch\), playback "pulse"/,
        log(),
      );
      // Nothing flowed while the device was gone.
      assert.equal(reacquired?.blocks, lost?.blocks, log());

      const back = reacquired?.blocks ?? 0;
      await until('blocks after the reacquire', () => blocks() >= back + 50, 10_000, log);

      child.stdin.write('close\n');
      await until('the engine to close', () => lines.some((l) => l.kind === 'closed'), 5_000, log);
      const closed = lines.find((l) => l.kind === 'closed');
      assert.ok(closed?.kind === 'closed');
      // The counters agree with the events (one pair here, more if the stream also stopped by
      // itself under load).
      const seen = events();
      assert.equal(closed.stats.lost, seen.filter((l) => l.kind === 'lost').length, log());
      assert.equal(closed.stats.reacquired, seen.filter((l) => l.kind === 'reacquired').length, log());
      assert.ok(closed.stats.capturedBlocks >= blocks(), log());
      assert.equal(await exit, 0, log());
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('names a playback device that does not exist and lists the ones PulseAudio offers', async () => {
    // The test before may have failed with the server down.
    if (pulse !== undefined && pulse.pid === undefined) await pulse.restart();
    const child = startCli(
      ['audio-test', '--capture', 'pulse', '--playback', 'no-such-speaker', '--seconds', '1'],
      clientEnv(),
    );
    const r = await finished(child, 15_000);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('doorway:'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0] ?? '',
      /^doorway: audio device "no-such-speaker": no such playback device \(devices: [^)]*\bpulse\b/,
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(r.stdout, '');
  });
});
