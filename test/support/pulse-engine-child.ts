/**
 * The audio engine on the PortAudio port through ALSA's "pulse" device, in a process of its own
 * (see pulse-engine.ts): PortAudio reads PULSE_SERVER when it starts, and a native hang in the
 * audio stack becomes the test's timeout instead of the test process's.
 *
 * It keeps the playback queue `depth` blocks deep with the far-end signal (PCM, so no codec sits
 * between what was queued and what came back), writes one JSON line per report (every 10th
 * block, each port event) and, when told to close on stdin, one line with its stats and, when
 * `record` is set, the far end it queued and the microphone it heard, as per-channel-mean mono.
 */
import { loadAudio } from './audio-addon.js';
import { BLOCK_FRAMES, RATE, type PulseEngineConfig } from './pulse-engine-signal.js';

const config = JSON.parse(process.env.DOORWAY_PULSE_ENGINE ?? '{}') as PulseEngineConfig;
const say = (line: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ ...line, at: Date.now() })}\n`);
};

const maxBlocks = Math.ceil((config.recordSeconds ?? 0) * 100);
const queuedFar = new Float32Array(maxBlocks * BLOCK_FRAMES);
const heard = new Float32Array(maxBlocks * BLOCK_FRAMES);
let queuedBlocks = 0;
let heardBlocks = 0;
const packet = new Uint8Array(BLOCK_FRAMES * 4);
const block = new Float32Array(BLOCK_FRAMES);
const addon = loadAudio();
// 60 s of speech, played round and round.
const speech = config.signal === 'speech' ? addon.speechLike({ seconds: 60 }) : undefined;

/** Fills `block` with far-end block number `index`. */
function farEndBlock(index: number): void {
  for (let i = 0; i < BLOCK_FRAMES; i++) {
    const n = index * BLOCK_FRAMES + i;
    block[i] =
      speech !== undefined
        ? (speech[n % speech.length] ?? 0)
        : 0.1 * Math.SQRT2 * Math.sin((2 * Math.PI * 440 * n) / RATE);
  }
}

/** Queues the next far-end block (stereo PCM, the same on both sides). */
function queueNext(): boolean {
  farEndBlock(queuedBlocks);
  const view = new DataView(packet.buffer);
  for (let i = 0; i < BLOCK_FRAMES; i++) {
    const v = Math.round(Math.max(-1, Math.min(1, block[i] ?? 0)) * 32767);
    view.setInt16(4 * i, v, true);
    view.setInt16(4 * i + 2, v, true);
  }
  if (engine.play(packet) === 0) return false;
  if (queuedBlocks < maxBlocks) queuedFar.set(block, queuedBlocks * BLOCK_FRAMES);
  queuedBlocks++;
  return true;
}

let blocks = 0;
// Underruns the port had counted when the first block came; from then on the queue is fed.
let underrunsAtFirst = -1;
let lastUnderruns = 0;
let queuedLeast = Number.POSITIVE_INFINITY;
const engine = addon.createEngine(
  {
    port: 'portaudio',
    capture: 'pulse',
    playback: 'pulse',
    // What a site behind a sound server sets (devices.audio.playbackLatencyMs): at the device's
    // own 30 ms the server's stream underran every 10 to 40 s here, at 60 ms not once in 8 runs.
    playbackLatencyMs: 60,
    codec: 'pcm',
    echoCancel: config.echoCancel ?? false,
    noiseSuppression: false,
    gainControl: false,
  },
  (e) => {
    if (e.kind === 'block') {
      blocks++;
      if (underrunsAtFirst < 0) underrunsAtFirst = e.underruns;
      lastUnderruns = e.underruns;
      queuedLeast = Math.min(queuedLeast, e.queued);
      if (e.packet !== null && heardBlocks < maxBlocks) {
        const view = new DataView(e.packet.buffer, e.packet.byteOffset, e.packet.byteLength);
        for (let i = 0; i < BLOCK_FRAMES; i++) {
          heard[heardBlocks * BLOCK_FRAMES + i] =
            (view.getInt16(4 * i, true) + view.getInt16(4 * i + 2, true)) / 65536;
        }
        heardBlocks++;
      }
      // Topped up from the queue's depth now, not the event's: events a late turn delivers
      // together each carry the depth of their own moment, and feeding to each would overfill.
      for (let q = engine.stats().queuedPlayback; q < config.depth && queueNext(); q++);
      if (blocks % 10 === 0) say({ kind: 'blocks', blocks, deviceXruns: engine.stats().deviceXruns });
    } else if (e.kind === 'lost' || e.kind === 'reacquired') {
      say({ kind: e.kind, detail: e.detail, blocks });
    }
  },
);
// Queued before the stream starts, so the first callback already has a block to play.
for (let q = 0; q < config.depth; q++) queueNext();
engine.start();
say({ kind: 'started' });
process.stdin.once('data', () => {
  process.stdin.destroy();
  const stats = engine.stats();
  engine.close();
  const record =
    maxBlocks > 0
      ? {
          queued: Buffer.from(
            queuedFar.buffer,
            0,
            Math.min(queuedBlocks, maxBlocks) * BLOCK_FRAMES * 4,
          ).toString('base64'),
          heard: Buffer.from(heard.buffer, 0, heardBlocks * BLOCK_FRAMES * 4).toString('base64'),
        }
      : undefined;
  say({
    kind: 'closed',
    stats,
    fedUnderruns: underrunsAtFirst < 0 ? 0 : lastUnderruns - underrunsAtFirst,
    underrunsBeforeFirstBlock: underrunsAtFirst,
    queuedLeast,
    record,
  });
});
