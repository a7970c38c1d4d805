/**
 * The speaker side of the audio path: packets from the transport go into the audio jitter buffer,
 * and their bytes into the native engine (`hold`), which keeps its own copy because the transport
 * reuses its buffers. On each arrival and each time the sound port takes a block, the buffer
 * decides what comes next (play, shorten, stretch, conceal) and the engine decodes it into the
 * playback queue. While a stream plays, the engine's rescue covers for this thread: when the
 * queue is still empty 1 ms (at most half a block) before the device needs it, the port's thread
 * plays the next held packet itself, so a late JS turn is absorbed by what the buffer holds
 * instead of heard; with nothing held, it conceals, and only it does.
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
 * Blocks kept queued behind the one playing: about 10 ms. The rescue (the port's thread playing
 * held packets) covers a late JS turn, but with 5 ms here the kill loop under CPU hogs heard 7
 * gap blocks in a minute against 2 at 10 ms, and concealment at 1 % loss rose from 2 % to 5.9 %;
 * 5 ms blocks pay ~3 ms of mouth-to-ear for it.
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

/**
 * Decisions one fill may take: enough to pass over every held packet the rescue already played
 * (a skipped decision queues nothing) and still fill the queue.
 */
const MAX_FILL_DECISIONS = 72;

/** The engine holds packets up to this size. */
const MAX_PACKET_BYTES = 4000;
const MAX_MARKERS = 4096;

export class AudioReceivePipeline {
  readonly #engine: AudioEngine;
  readonly #duplex: DuplexAudioEngine | null;
  readonly #buffer: AudioJitterBuffer<null>;
  readonly #clock: () => number;
  readonly #markers: number[] = [];
  #oversized = 0;
  /** The buffer's stream whose packets the engine holds. */
  #stream = 0;
  /** Whether the engine's rescue is on (it follows the buffer's `playing`). */
  #rescue = false;
  #lastQueued = 0;
  /** How far ahead of now the last played block reaches the speaker, µs; null before one played. */
  #lastDacLeadUs: number | null = null;
  readonly #blockUs: number;
  readonly #queueBlocks: number;
  #underruns = 0;
  #gapBlocks = 0;
  /** The engine's count of rescue concealments already booked in the buffer. */
  #rescueConcealed = 0;

  constructor(options: AudioReceivePipelineOptions) {
    const blockFrames = 'duplex' in options ? options.duplex.blockFrames : options.blockFrames;
    const blockUs = (blockFrames * 1e6) / 48_000;
    this.#buffer = new AudioJitterBuffer<null>({
      // A doorway's path is short and steady: start near it rather than at NetEQ's cautious 20 ms;
      // the target rises at once with measured jitter.
      initialTargetUs: micros(5000),
      // The buffer's own margin (2 ms over the jitter) is enough: nothing is concealed before the
      // last moment (see #fill), so a packet need only land before the rescue's check.
      // Delay is measured to when the port needs each block (see #feed), so it is true slack:
      // keep at least the target (no expanding band below it) and at most a block above it (the
      // least step the port's whole blocks allow). The rescue completes a shortened block's
      // remainder, so a block may be shortened with one packet held.
      expandBelowUs: micros(0),
      accelerateAboveUs: micros(blockUs),
      deviceCompletesBlocks: true,
      ...options.jitter,
      blockUs: micros(blockUs),
    });
    this.#blockUs = blockUs;
    this.#queueBlocks = Math.max(1, Math.round(QUEUE_US / this.#blockUs));
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
    this.#rescueConcealed = this.#engine.rescueConcealed();
  }

  start(): void {
    if (this.#duplex === null) this.#engine.start();
    else this.#duplex.start('receive');
  }

  /** One audio frame from the transport; `captureUs` already on this side's clock. */
  accept(seq: number, captureUs: number, payload: Uint8Array): void {
    if (payload.length > MAX_PACKET_BYTES) {
      this.#oversized++;
      return;
    }
    const now = micros(Math.round(this.#clock()));
    this.#buffer.insert(now, { seq, captureUs: micros(Math.round(captureUs)), payload: null });
    if (this.#buffer.stream !== this.#stream) {
      // The sender started over: its sequence numbers mean other packets now.
      this.#stream = this.#buffer.stream;
      this.#engine.forgetHeld();
    }
    this.#engine.hold(seq, payload);
    // Fed on arrival too, not only at port ticks: playback starts as soon as the first packet has
    // waited out the target, and a queue left short by a late tick fills now.
    this.#fill(now);
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

  /** The port took a block. */
  #tick(queued: number, dacUs: number): void {
    const now = micros(Math.round(this.#clock()));
    this.#fill(now);
    // Kept for `latencyUs`, which is read far less often than blocks go by.
    this.#lastQueued = queued;
    this.#lastDacLeadUs = dacUs > 0 ? Math.max(0, dacUs - now) : null;
  }

  /**
   * Keeps the queue about 10 ms deep behind the block playing. A shortened block may not complete
   * a block on its own, so decisions go on until the queue is full; but only while a packet is
   * held (the buffer shortens a block only with the next packet held, so a part-block left over
   * is completed in this same loop). The rescue conceals if nothing comes in time.
   */
  #fill(now: Micros): void {
    // What the rescue made up is booked first, so the buffer decides on the true timeline.
    const rescueConcealed = this.#engine.rescueConcealed();
    for (; this.#rescueConcealed < rescueConcealed; this.#rescueConcealed++) {
      this.#buffer.deviceConcealed(this.#buffer.blockFrames);
    }
    for (let i = 0; i < MAX_FILL_DECISIONS; i++) {
      const queued = this.#engine.queued();
      if (queued >= this.#queueBlocks) break;
      // While playing, nothing is decided without a packet: the next one may still come in
      // time, and the rescue conceals at the last moment (1 ms before the device takes the
      // block) if it does not. Deciding earlier concealed a block before the speaker needed it,
      // and the buffer then had to keep a block more of margin (10 ms more at 10 ms blocks).
      if (this.#buffer.playing && this.#buffer.bufferedPackets === 0) break;
      if (!this.#feed(now) || this.#buffer.bufferedPackets === 0) break;
    }
    const playing = this.#buffer.playing;
    if (playing !== this.#rescue) {
      this.#rescue = playing;
      this.#engine.setRescue(playing);
    }
  }

  /** One decision of the jitter buffer carried out; false when it had nothing to play. */
  #feed(now: Micros): boolean {
    const due = this.#engine.playbackDueUs();
    const decision = this.#buffer.next(now, Number.isNaN(due) ? undefined : micros(due));
    let frames: number;
    switch (decision.kind) {
      case 'play':
      case 'accelerate':
        frames = this.#engine.playHeld(decision.packet.seq, decision.kind === 'accelerate');
        break;
      case 'conceal':
        frames = this.#engine.concealFromHeld(decision.fecFrom?.seq ?? null);
        break;
      case 'expand':
        frames = this.#engine.expand();
        break;
      case 'idle':
        return false;
    }
    this.#buffer.output(frames);
    return true;
  }
}
