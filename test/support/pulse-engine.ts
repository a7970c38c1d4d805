/**
 * Runs the audio engine on ALSA's "pulse" device in a child process (pulse-engine-child.ts) and
 * follows what it says: blocks, port events and, at close, its stats and recordings.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AudioEngineStats } from '../../src/media/index.js';
import type { PulseAudio } from './pulseaudio.js';
import type { PulseEngineConfig } from './pulse-engine-signal.js';
import { REPO } from './tree.js';

/** systemd/doorway-audio.service's Nice=. */
const AUDIO_NICE = -11;

export interface PortLine {
  kind: 'lost' | 'reacquired';
  detail: string;
  /** Blocks the child had seen when the event came. */
  blocks: number;
  /** When the child wrote it, ms on the realtime clock (the same clock as this process's). */
  at: number;
}

export interface ClosedLine {
  kind: 'closed';
  stats: AudioEngineStats;
  /** Underruns counted before the first block reached the child, and after it. */
  underrunsBeforeFirstBlock: number;
  fedUnderruns: number;
  /** The shallowest the playback queue was when a block came. */
  queuedLeast: number;
  /** Per-channel-mean mono, float32, base64: the far end queued and the microphone heard. */
  record?: { queued: string; heard: string };
  at: number;
}

type EngineLine =
  | { kind: 'started'; at: number }
  | { kind: 'blocks'; blocks: number; deviceXruns: number; at: number }
  | PortLine
  | ClosedLine;

export class PulseEngine {
  readonly #child: ChildProcess;
  readonly #lines: EngineLine[] = [];
  readonly #marks: string[] = [];
  readonly #exit: Promise<number | null>;
  #stderr = '';

  constructor(pulse: PulseAudio, config: PulseEngineConfig) {
    // At the priority doorway-audio.service gives the appliance's audio process (Nice=-11, set at
    // exec so every thread starts there): libpulse's own client thread, which moves the ALSA
    // plugin's audio to and from the server, runs at that priority and not realtime, and at nice
    // 0 on a loaded machine it fell behind by 10-20 ms and the server underran.
    this.#child = spawn(
      'nice',
      [
        '-n',
        String(AUDIO_NICE),
        process.execPath,
        join(REPO, 'dist', 'test', 'support', 'pulse-engine-child.js'),
      ],
      {
        env: { ...process.env, ...pulse.clientEnv, DOORWAY_PULSE_ENGINE: JSON.stringify(config) },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let partial = '';
    this.#child.stdout?.on('data', (chunk: Buffer) => {
      partial += chunk.toString();
      const complete = partial.split('\n');
      partial = complete.pop() ?? '';
      for (const line of complete) this.#lines.push(JSON.parse(line) as EngineLine);
    });
    this.#child.stderr?.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
    this.#exit = new Promise((resolve) => this.#child.once('close', resolve));
  }

  /** Blocks the child has reported (every 10th). */
  blocks(): number {
    return this.#lines.reduce(
      (n, l) => (l.kind === 'blocks' || l.kind === 'lost' || l.kind === 'reacquired' ? l.blocks : n),
      0,
    );
  }

  /** When the child first reported at least `count` blocks, ms realtime. */
  /** PortAudio's xrun count when `count` blocks had gone by. */
  deviceXrunsAt(count: number): number | undefined {
    for (const l of this.#lines) if (l.kind === 'blocks' && l.blocks >= count) return l.deviceXruns;
    return undefined;
  }

  blocksAt(count: number): number | undefined {
    return this.#lines.find((l) => l.kind === 'blocks' && l.blocks >= count)?.at;
  }

  events(): PortLine[] {
    return this.#lines.filter((l): l is PortLine => l.kind === 'lost' || l.kind === 'reacquired');
  }

  /** The first `kind` event the child stamped at or after `since`. */
  eventSince(kind: PortLine['kind'], since: number): PortLine | undefined {
    return this.events().find((l) => l.kind === kind && l.at >= since);
  }

  /** Notes a moment for the failure log; returns it, ms realtime. */
  mark(what: string): number {
    const at = Date.now();
    this.#marks.push(`${what} at ${at}`);
    return at;
  }

  log(): string {
    return `${this.#marks.join(', ')}\nchild said: ${this.#lines
      .filter((l) => l.kind !== 'blocks' && l.kind !== 'closed')
      .map((l) => JSON.stringify(l))
      .join(' ')}; blocks ${this.blocks()}\nstderr: ${this.#stderr.slice(-2000)}`;
  }

  /** Polls `done` (the child reports between awaits); fails after `timeoutMs`. */
  async until(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline)
        assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.log()}`);
      await sleep(10);
    }
  }

  /** Tells the engine to close; its last line, once it has exited with status 0. */
  async close(): Promise<ClosedLine> {
    this.#child.stdin?.write('close\n');
    const closed = (): ClosedLine | undefined =>
      this.#lines.find((l): l is ClosedLine => l.kind === 'closed');
    await this.until('the engine to close', () => closed() !== undefined, 10_000);
    assert.equal(await this.#exit, 0, this.log());
    const line = closed();
    assert.ok(line !== undefined);
    return line;
  }

  kill(): void {
    this.#child.kill('SIGKILL');
  }
}

/** A base64 float32 recording from the child as samples. */
export function samples(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}
