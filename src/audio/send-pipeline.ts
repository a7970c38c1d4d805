/**
 * The microphone side of the audio path: a sound port whose blocks the native engine cleans up
 * (echo cancellation, noise suppression, gain) and encodes on its own thread; this class hands each
 * encoded block to the transport. Samples never reach JS.
 */
import type { AudioEngine, AudioEngineEvent, AudioEngineStats } from '../media/index.js';
import type { AudioPortSetup, DuplexAudioEngine } from './duplex-engine.js';

export type AudioSendPipelineOptions =
  /** A port of the pipeline's own, with its codec and echo canceller. */
  (
    | AudioPortSetup
    /** The send side of a port shared with the receive pipeline: the echo canceller's far end. */
    | { readonly duplex: DuplexAudioEngine }
  ) & {
    /** One encoded block; `packet` is valid only during the call. */
    readonly onPacket: (packet: Uint8Array, captureUs: number, seq: number) => void;
    /** The device went away or came back. */
    readonly onDevice?: (kind: 'lost' | 'reacquired', detail: string) => void;
  };

export interface AudioSendStats {
  readonly packets: number;
  readonly bytes: number;
  /** When each marker burst left the synthetic microphone, µs realtime (source markers). */
  readonly markersCapturedUs: readonly number[];
  readonly engine: AudioEngineStats;
}

/** Markers kept for the report: a long run keeps the newest. */
const MAX_MARKERS = 4096;

export class AudioSendPipeline {
  readonly #engine: AudioEngine;
  readonly #duplex: DuplexAudioEngine | null;
  readonly #markers: number[] = [];
  #packets = 0;
  #bytes = 0;

  /** Opens the port, codec and echo canceller; a missing device or feature is a MediaError now. */
  constructor(options: AudioSendPipelineOptions) {
    const onEvent = (event: AudioEngineEvent): void => {
      switch (event.kind) {
        case 'block':
          if (event.packet === null) return;
          this.#packets++;
          this.#bytes += event.packet.length;
          options.onPacket(event.packet, event.captureUs, event.seq);
          return;
        case 'marker-captured':
          if (this.#markers.length >= MAX_MARKERS) this.#markers.shift();
          this.#markers.push(event.captureUs);
          return;
        case 'lost':
        case 'reacquired':
          options.onDevice?.(event.kind, event.detail);
          return;
        case 'marker-played':
          return;
      }
    };
    if ('duplex' in options) {
      this.#duplex = options.duplex;
      this.#engine = options.duplex.attach('send', onEvent);
    } else {
      this.#duplex = null;
      this.#engine = options.addon.createEngine(
        {
          ...options.port,
          codec: options.codec,
          bitrateBps: options.bitrateBps,
          blockFrames: options.blockFrames,
          echoCancel: options.echoCancel,
          ...(options.echoReference === undefined ? {} : { echoReference: options.echoReference }),
          ...(options.echoCapture === undefined ? {} : { echoCapture: options.echoCapture }),
          send: true,
        },
        onEvent,
      );
    }
  }

  start(): void {
    if (this.#duplex === null) this.#engine.start();
    else this.#duplex.start('send');
  }

  setBitrate(bps: number): void {
    this.#engine.setBitrate(bps);
  }

  stats(): AudioSendStats {
    return {
      packets: this.#packets,
      bytes: this.#bytes,
      markersCapturedUs: [...this.#markers],
      engine: this.#engine.stats(),
    };
  }

  /** Closes its own port, or leaves the shared one (the receive side may still be playing). */
  stop(): void {
    if (this.#duplex === null) this.#engine.close();
    else this.#duplex.detach('send');
  }
}
