/**
 * One sound port for both directions of a doorway's audio. The echo canceller can only remove what
 * it knows the speaker played: with the microphone and the speaker on separate engines its far end
 * is silence and the peer hears itself. A send and a receive pipeline attached to one
 * `DuplexAudioEngine` share a single native engine, so every block the receive side plays is the
 * canceller's reference for the block the send side captures next.
 *
 * Each side attaches and detaches on its own (a leg restarted by its supervisor takes its side
 * with it); the native engine opens with the first side and closes with the last, so the speaker
 * keeps playing while the microphone's side is rebuilt, and the other way round.
 */
import { DoorwayError } from '../errors/index.js';
import type { AudioAddon, AudioEngine, AudioEngineEvent, AudioPortOptions } from '../media/index.js';

export type DuplexSide = 'send' | 'receive';

/** A sound port with its codec and echo canceller, as a pipeline or both of them open it. */
export interface AudioPortSetup {
  readonly addon: AudioAddon;
  /** Where the sound comes from and goes to; shared, capture is the microphone, playback the speaker. */
  readonly port: AudioPortOptions;
  readonly codec: 'opus' | 'pcm';
  readonly bitrateBps: number;
  /** Block length of both directions: 240 frames (5 ms) or 480 (10 ms). */
  readonly blockFrames: 240 | 480;
  /** Echo cancellation, noise suppression and gain control (feature apm). */
  readonly echoCancel: boolean;
  /** The canceller's far end: one mix (`mono`, default) or per channel; see AudioEngineOptions. */
  readonly echoReference?: 'mono' | 'stereo';
  /** The microphone cleaned as one mix (`mono`, default) or per channel. */
  readonly echoCapture?: 'mono' | 'stereo';
}

export type DuplexAudioEngineOptions = AudioPortSetup;

/** A side attached twice, or used without attaching: a wiring mistake, not a device fault. */
export class DuplexAudioError extends DoorwayError {
  override readonly name = 'DuplexAudioError';
  readonly exitCode = 1;
}

type Listener = (event: AudioEngineEvent) => void;

export class DuplexAudioEngine {
  readonly blockFrames: 240 | 480;
  readonly #options: DuplexAudioEngineOptions;
  #engine: AudioEngine | null = null;
  #send: Listener | null = null;
  #receive: Listener | null = null;
  #opened = 0;

  constructor(options: DuplexAudioEngineOptions) {
    this.#options = options;
    this.blockFrames = options.blockFrames;
  }

  /**
   * Joins `side` to the engine, opening the port if no side holds it; a missing device or feature
   * is a one-line MediaError and leaves nothing attached. Returns the engine for playback calls.
   */
  attach(side: DuplexSide, listener: Listener): AudioEngine {
    if (this.#listener(side) !== null) {
      throw new DuplexAudioError(`the ${side} side of the duplex audio engine is already attached`);
    }
    const engine = this.#engine ?? this.#open();
    this.#setListener(side, listener);
    return engine;
  }

  /** Starts the port once; later calls do nothing. */
  start(side: DuplexSide): void {
    if (this.#engine === null || this.#listener(side) === null) {
      throw new DuplexAudioError(`the ${side} side started without being attached`);
    }
    this.#engine.start();
  }

  /** Leaves the engine; the last side to leave closes the port. Idempotent per side. */
  detach(side: DuplexSide): void {
    if (this.#listener(side) === null) return;
    this.#setListener(side, null);
    if (this.#send === null && this.#receive === null && this.#engine !== null) {
      const engine = this.#engine;
      this.#engine = null;
      engine.close();
    }
  }

  /** Whether the native engine is open now. */
  get open(): boolean {
    return this.#engine !== null;
  }

  /** How many times the port has been opened: once, unless both sides left together. */
  get openings(): number {
    return this.#opened;
  }

  #open(): AudioEngine {
    const o = this.#options;
    const engine = o.addon.createEngine(
      {
        ...o.port,
        codec: o.codec,
        bitrateBps: o.bitrateBps,
        blockFrames: o.blockFrames,
        echoCancel: o.echoCancel,
        ...(o.echoReference === undefined ? {} : { echoReference: o.echoReference }),
        ...(o.echoCapture === undefined ? {} : { echoCapture: o.echoCapture }),
        send: true,
      },
      (event) => {
        // The event object is reused by the engine: both sides read it before the next block.
        this.#send?.(event);
        this.#receive?.(event);
      },
    );
    this.#engine = engine;
    this.#opened++;
    return engine;
  }

  #listener(side: DuplexSide): Listener | null {
    return side === 'send' ? this.#send : this.#receive;
  }

  #setListener(side: DuplexSide, listener: Listener | null): void {
    if (side === 'send') this.#send = listener;
    else this.#receive = listener;
  }
}
