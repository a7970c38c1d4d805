/**
 * The speaker side of the audio path: packets from the transport go into the audio jitter buffer;
 * each time the sound port takes a block, the buffer decides what comes next (play, shorten,
 * stretch, conceal) and the native engine decodes it into the playback queue. Payloads are copied
 * into a preallocated slab on arrival, because the transport reuses its buffers.
 */
import type {
  AudioAddon,
  AudioEngine,
  AudioEngineEvent,
  AudioEngineStats,
  AudioPortOptions,
} from '../media/index.js';
import { micros, type Micros } from '../units/index.js';
import type { DuplexAudioEngine } from './duplex-engine.js';
import {
  AudioJitterBuffer,
  type AudioJitterBufferOptions,
  type AudioJitterBufferStats,
} from './jitter-buffer.js';

export type AudioReceivePipelineOptions = (
  | {
      readonly addon: AudioAddon;
      readonly port: AudioPortOptions;
      readonly codec: 'opus' | 'pcm';
      /** Block length: 240 frames (5 ms) or 480 (10 ms); the sender's. */
      readonly blockFrames: 240 | 480;
    }
  /** The receive side of a port shared with the send pipeline: what it plays is the canceller's far end. */
  | { readonly duplex: DuplexAudioEngine }
) & {
  /** Jitter buffer tuning; its block length comes from `blockFrames`. */
  readonly jitter?: Omit<AudioJitterBufferOptions, 'blockUs' | 'sampleRate'>;
  /** The clock every `now` is read from, µs realtime (the engine reports on the same clock). */
  readonly clock: () => number;
  readonly onDevice?: (kind: 'lost' | 'reacquired', detail: string) => void;
};

/**
 * Blocks kept queued behind the one playing: about 10 ms, which a JS pause on a busy machine must
 * not outlast (the queue is the speaker's only cushion against the event loop).
 */
const QUEUE_US = 10_000;

export interface AudioReceiveStats {
  readonly jitter: AudioJitterBufferStats;
  readonly engine: AudioEngineStats;
  /** When each marker onset reached the speaker, µs realtime (synthetic sinks). */
  readonly markersPlayedUs: readonly number[];
  /** Capture → speaker of the audio playing now, µs: the buffer's playout delay plus the queue. */
  readonly latencyUs: number | null;
  /** Packets too large for a slot (dropped). */
  readonly oversized: number;
  /** Blocks the speaker played as silence while the stream was playing: audible gaps. */
  readonly gapBlocks: number;
}

/** A packet's bytes in the slab: slot `slot`, `length` bytes. */
interface Slot {
  readonly slot: number;
  readonly length: number;
}

const SLOT_BYTES = 4000;
const MAX_MARKERS = 4096;

export class AudioReceivePipeline {
  readonly #engine: AudioEngine;
  readonly #duplex: DuplexAudioEngine | null;
  readonly #buffer: AudioJitterBuffer<Slot>;
  readonly #clock: () => number;
  readonly #slots: Uint8Array[];
  readonly #markers: number[] = [];
  #nextSlot = 0;
  #oversized = 0;
  #lastQueued = 0;
  /** How far ahead of now the last played block reaches the speaker, µs; null before one played. */
  #lastDacLeadUs: number | null = null;
  readonly #blockUs: number;
  readonly #queueBlocks: number;
  /** Frames given to the engine not yet making a whole block (the engine queues whole blocks). */
  #pendingFrames = 0;
  /** Whole blocks queued since the port last reported its queue. */
  #queuedSinceTick = 0;
  #underruns = 0;
  #gapBlocks = 0;

  constructor(options: AudioReceivePipelineOptions) {
    const blockFrames = 'duplex' in options ? options.duplex.blockFrames : options.blockFrames;
    this.#buffer = new AudioJitterBuffer<Slot>({
      // A doorway's path is short and steady: start near it rather than at NetEQ's cautious 20 ms;
      // the target rises at once with measured jitter.
      initialTargetUs: micros(5000),
      ...options.jitter,
      blockUs: micros((blockFrames * 1e6) / 48_000),
    });
    this.#blockUs = (this.#buffer.blockFrames * 1e6) / 48_000;
    this.#queueBlocks = Math.max(1, Math.round(QUEUE_US / this.#blockUs));
    // More slots than the buffer can hold, so a slot is never reused while its packet waits.
    const count = 2 * (options.jitter?.maxBufferedPackets ?? 64) + 8;
    const slab = new ArrayBuffer(count * SLOT_BYTES);
    this.#slots = Array.from({ length: count }, (_, i) => new Uint8Array(slab, i * SLOT_BYTES, SLOT_BYTES));
    this.#clock = options.clock;
    const onEvent = (event: AudioEngineEvent): void => {
      switch (event.kind) {
        case 'block':
          // Silence played while the buffer was playing is a gap; before the start it is not.
          if (this.#buffer.playing) this.#gapBlocks += event.underruns - this.#underruns;
          this.#underruns = event.underruns;
          this.#tick(event.queued, event.dacUs);
          return;
        case 'marker-played':
          if (this.#markers.length >= MAX_MARKERS) this.#markers.shift();
          this.#markers.push(event.dacUs);
          return;
        case 'lost':
        case 'reacquired':
          options.onDevice?.(event.kind, event.detail);
          return;
        case 'marker-captured':
          return;
      }
    };
    if ('duplex' in options) {
      this.#duplex = options.duplex;
      this.#engine = options.duplex.attach('receive', onEvent);
    } else {
      this.#duplex = null;
      this.#engine = options.addon.createEngine(
        { ...options.port, codec: options.codec, blockFrames, send: false },
        onEvent,
      );
    }
  }

  start(): void {
    if (this.#duplex === null) this.#engine.start();
    else this.#duplex.start('receive');
  }

  /** One audio frame from the transport; `captureUs` already on this side's clock. */
  accept(seq: number, captureUs: number, payload: Uint8Array): void {
    if (payload.length > SLOT_BYTES) {
      this.#oversized++;
      return;
    }
    const slot = this.#nextSlot;
    this.#nextSlot = (slot + 1) % this.#slots.length;
    this.#slots[slot]?.set(payload);
    const now = micros(Math.round(this.#clock()));
    this.#buffer.insert(now, {
      seq,
      captureUs: micros(Math.round(captureUs)),
      payload: { slot, length: payload.length },
    });
    // Not playing yet: start as soon as the first packet has waited out the target.
    if (!this.#buffer.playing) this.#feed(now);
  }

  /** Capture → speaker of the audio playing now, µs; null before it plays. */
  get latencyUs(): number | null {
    const { bufferDelayMs, transitFloorMs } = this.#buffer.stats;
    if (bufferDelayMs === null || this.#lastDacLeadUs === null) return null;
    // What plays at the speaker now was captured this long ago: transit, buffer and queue.
    return (
      (bufferDelayMs + (transitFloorMs ?? 0)) * 1000 + this.#lastQueued * this.#blockUs + this.#lastDacLeadUs
    );
  }

  /** Lip sync: the least capture-to-playout delay, µs. */
  setMinDelayUs(us: number): void {
    this.#buffer.setMinDelayUs(micros(Math.max(0, Math.round(us))));
  }

  stats(): AudioReceiveStats {
    return {
      jitter: this.#buffer.stats,
      engine: this.#engine.stats(),
      markersPlayedUs: [...this.#markers],
      latencyUs: this.latencyUs,
      oversized: this.#oversized,
      gapBlocks: this.#gapBlocks,
    };
  }

  /** Closes its own port, or leaves the shared one (the send side may still be capturing). */
  close(): void {
    if (this.#duplex === null) this.#engine.close();
    else this.#duplex.detach('receive');
  }

  /**
   * The port took a block: keep the queue about 10 ms deep behind the one playing. A shortened
   * block may not complete a block on its own, so decisions go on until the queue is full.
   */
  #tick(queued: number, dacUs: number): void {
    const now = micros(Math.round(this.#clock()));
    this.#queuedSinceTick = 0;
    // Only go on while a packet is held: another decision with nothing held would conceal audio
    // that is merely on its way. The buffer shortens a block only with the next packet held, so
    // a part-block left over is completed in this same loop.
    for (let i = 0; i < 4 * this.#queueBlocks && queued + this.#queuedSinceTick < this.#queueBlocks; i++) {
      if (!this.#feed(now) || this.#buffer.bufferedPackets === 0) break;
    }
    // Kept for `latencyUs`, which is read far less often than blocks go by.
    this.#lastQueued = queued;
    this.#lastDacLeadUs = dacUs > 0 ? Math.max(0, dacUs - now) : null;
  }

  /** One decision of the jitter buffer carried out; false when it had nothing to play. */
  #feed(now: Micros): boolean {
    const decision = this.#buffer.next(now);
    let frames: number;
    switch (decision.kind) {
      case 'play':
      case 'accelerate': {
        const { slot, length } = decision.packet.payload;
        const bytes = this.#slots[slot] ?? new Uint8Array(0);
        frames =
          decision.kind === 'play'
            ? this.#engine.play(bytes, length)
            : this.#engine.accelerate(bytes, length);
        break;
      }
      case 'conceal': {
        const from = decision.fecFrom;
        frames =
          from === null
            ? this.#engine.conceal(null)
            : this.#engine.conceal(this.#slots[from.payload.slot] ?? null, from.payload.length);
        break;
      }
      case 'expand':
        frames = this.#engine.expand();
        break;
      case 'idle':
        return false;
    }
    this.#buffer.output(frames);
    this.#pendingFrames += frames;
    const blockFrames = this.#buffer.blockFrames;
    this.#queuedSinceTick += Math.floor(this.#pendingFrames / blockFrames);
    this.#pendingFrames %= blockFrames;
    return true;
  }
}
