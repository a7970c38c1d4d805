/**
 * The receiving half of the picture: access units from the transport into a decoder on its own
 * native thread, the pixel code read off each decoded picture, and the picture handed to a sink
 * (an SDL window, or a headless sink that only takes the time). Frames stay native; this class
 * moves handles and times.
 */
import type {
  DecoderImplementation,
  DecoderOutput,
  Decoder,
  HwCodec,
  PixelCode,
  VideoAddon,
  VideoFrame,
  VideoWindow,
  WindowEvent,
  WindowOptions,
} from '../media/index.js';

export type SinkKind = 'headless' | 'window';

/** What happened to one access unit. */
export type PictureEvent =
  | {
      readonly kind: 'decoded';
      /** The caller's tag (the transport's frame id). */
      readonly tag: number;
      /** The synthetic camera's stamp, or null when the picture carries none (or it was unreadable). */
      readonly code: PixelCode | null;
      /** Realtime clock, µs. */
      readonly decodedUs: number;
      readonly decodeUs: number;
    }
  | { readonly kind: 'presented'; readonly tag: number; readonly presentedUs: number }
  | { readonly kind: 'decode-error'; readonly tag: number; readonly error: string }
  /** The window could not show a picture. */
  | { readonly kind: 'present-error'; readonly tag: number; readonly error: string }
  /** A window was closed by the person in front of it. */
  | { readonly kind: 'window-closed' };

export interface ReceivePipelineOptions {
  readonly addon: VideoAddon;
  readonly codec: HwCodec;
  readonly decoder: DecoderImplementation;
  readonly sink: SinkKind;
  readonly window?: Partial<WindowOptions>;
  readonly onEvent: (event: PictureEvent) => void;
}

export interface ReceivePipelineStats {
  readonly accepted: number;
  readonly decoded: number;
  readonly decodeErrors: number;
  readonly codeReadFailures: number;
  readonly presented: number;
  /** Access units refused because the decoder's queue was full. */
  readonly refused: number;
}

export class VideoReceivePipeline {
  readonly #addon: VideoAddon;
  readonly #decoder: Decoder;
  readonly #window: VideoWindow | null;
  readonly #onEvent: (event: PictureEvent) => void;
  #last: VideoFrame | null = null;
  #accepted = 0;
  #decoded = 0;
  #decodeErrors = 0;
  #codeReadFailures = 0;
  #presented = 0;
  #refused = 0;
  #closed = false;

  constructor(options: ReceivePipelineOptions) {
    this.#addon = options.addon;
    this.#onEvent = options.onEvent;
    this.#window =
      options.sink === 'window'
        ? options.addon.openWindow(
            {
              title: 'doorway',
              width: 1280,
              height: 720,
              fullscreen: false,
              vsync: true,
              ...options.window,
            },
            (event) => {
              this.#onWindow(event);
            },
          )
        : null;
    try {
      this.#decoder = options.addon.createDecoder(
        { codec: options.codec, implementation: options.decoder },
        (out) => {
          this.#onDecoded(out);
        },
      );
    } catch (err) {
      this.#window?.close();
      throw err;
    }
  }

  /** Queues one access unit (its bytes are copied, so the caller may reuse them at once). */
  accept(data: Uint8Array, tag: number): boolean {
    if (this.#closed) return false;
    if (!this.#decoder.decode(data, tag)) {
      this.#refused++;
      return false;
    }
    this.#accepted++;
    return true;
  }

  stats(): ReceivePipelineStats {
    return {
      accepted: this.#accepted,
      decoded: this.#decoded,
      decodeErrors: this.#decodeErrors,
      codeReadFailures: this.#codeReadFailures,
      presented: this.#presented,
      refused: this.#refused,
    };
  }

  /** Writes the newest decoded picture as a PNG; false when nothing was decoded yet. */
  writeLastPicture(path: string): boolean {
    if (this.#last === null) return false;
    this.#addon.writeFramePng(this.#last, path);
    return true;
  }

  /** Stops decoding and closes the sink; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#decoder.close();
    this.#window?.close();
    this.#last?.release();
    this.#last = null;
  }

  #onDecoded(out: DecoderOutput): void {
    if ('error' in out) {
      this.#decodeErrors++;
      this.#onEvent({ kind: 'decode-error', tag: out.tag, error: out.error });
      return;
    }
    const frame = out.frame;
    if (frame === null) return;
    if (this.#closed) {
      frame.release();
      return;
    }
    this.#decoded++;
    const code = this.#addon.readPixelCode(frame);
    if (code === null) this.#codeReadFailures++;
    this.#onEvent({ kind: 'decoded', tag: out.tag, code, decodedUs: out.decodedUs, decodeUs: out.decodeUs });
    if (this.#window !== null) {
      this.#window.present(frame, out.tag);
    } else {
      // The headless sink presents at once: the time it took the picture is its present time.
      this.#presented++;
      this.#onEvent({ kind: 'presented', tag: out.tag, presentedUs: this.#addon.nowUs() });
    }
    // Keep the newest picture (for the last-frame PNG); the previous one goes back to its pool.
    this.#last?.release();
    this.#last = frame;
  }

  #onWindow(event: WindowEvent): void {
    switch (event.kind) {
      case 'presented':
        this.#presented++;
        this.#onEvent({ kind: 'presented', tag: event.tag, presentedUs: event.presentedUs });
        break;
      case 'closed':
        this.#onEvent({ kind: 'window-closed' });
        break;
      case 'error':
        this.#onEvent({ kind: 'present-error', tag: event.tag, error: event.error });
        break;
    }
  }
}
