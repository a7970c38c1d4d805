/**
 * The microphone side of the audio path: a sound port whose blocks the native engine cleans up
 * (echo cancellation, noise suppression, gain) and encodes on its own thread; this class hands each
 * encoded block to the transport. Samples never reach JS.
 */
import type { AudioAddon, AudioEngine, AudioEngineStats, AudioPortOptions } from '../media/index.js';

export interface AudioSendPipelineOptions {
  readonly addon: AudioAddon;
  readonly port: AudioPortOptions;
  readonly codec: 'opus' | 'pcm';
  readonly bitrateBps: number;
  /** Block length: 240 frames (5 ms) or 480 (10 ms). */
  readonly blockFrames: 240 | 480;
  /** Echo cancellation, noise suppression and gain control (feature apm). */
  readonly echoCancel: boolean;
  /** One encoded block; `packet` is valid only during the call. */
  readonly onPacket: (packet: Uint8Array, captureUs: number, seq: number) => void;
  /** The device went away or came back. */
  readonly onDevice?: (kind: 'lost' | 'reacquired', detail: string) => void;
}

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
  readonly #markers: number[] = [];
  #packets = 0;
  #bytes = 0;

  /** Opens the port, codec and echo canceller; a missing device or feature is a MediaError now. */
  constructor(options: AudioSendPipelineOptions) {
    this.#engine = options.addon.createEngine(
      {
        ...options.port,
        codec: options.codec,
        bitrateBps: options.bitrateBps,
        blockFrames: options.blockFrames,
        echoCancel: options.echoCancel,
        send: true,
      },
      (event) => {
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
      },
    );
  }

  start(): void {
    this.#engine.start();
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

  stop(): void {
    this.#engine.close();
  }
}
