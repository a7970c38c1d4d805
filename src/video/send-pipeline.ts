/**
 * The sending half of the picture: a source (synthetic camera, V4L2 camera or Annex B file)
 * feeding an encoder on its own native thread, out to the caller as encoded access units.
 * Frames stay native: this class moves handles from source to encoder and releases them.
 * Keyframe requests and bitrate changes from the transport come in through `requestKeyframe`
 * and `setBitrate`.
 */
import type {
  AnnexBReader,
  Camera,
  CameraFormat,
  Encoder,
  EncoderImplementation,
  EncoderOutput,
  HwCodec,
  PatternSource,
  VideoAddon,
  VideoFrame,
} from '../media/index.js';
import type { FrameSize, VideoSourceSpec } from './spec.js';

export interface EncodedAccessUnit {
  readonly data: Uint8Array;
  readonly keyframe: boolean;
  /** When the picture was taken, on the clock the pipeline was given (µs). */
  readonly captureUs: number;
  readonly frameNumber: number;
  /** Codec time for this frame, µs (0 for files, which are not encoded here). */
  readonly encodeUs: number;
}

export type SendPipelineEvent =
  | { readonly kind: 'access-unit'; readonly unit: EncodedAccessUnit }
  /** The camera went away; frames resume after `camera-back`. */
  | { readonly kind: 'camera-lost'; readonly reason: string }
  | { readonly kind: 'camera-back' }
  | { readonly kind: 'encode-error'; readonly error: string; readonly frameNumber: number };

export interface SendPipelineOptions {
  readonly addon: VideoAddon;
  readonly source: Exclude<VideoSourceSpec, { kind: 'frames' }>;
  readonly size: FrameSize;
  readonly fps: number;
  readonly bitrateBps: number;
  readonly codec: HwCodec;
  readonly encoder: EncoderImplementation;
  /** Frames per keyframe interval or intra-refresh wave (default: 2 s of frames). */
  readonly gopFrames?: number;
  /** Refresh intra blocks in waves instead of sending big keyframes (default true). */
  readonly intraRefresh?: boolean;
  readonly cameraFormat?: CameraFormat;
  readonly cameraConvert?: 'cpu' | 'cuda';
  /** While the camera is gone, send the synthetic pattern instead of nothing (default false). */
  readonly patternWhileCameraLost?: boolean;
  /** The clock capture times are taken on, µs (the transport's). */
  readonly clock: () => number;
  /**
   * Asked for every captured frame: while it says no (the peer's session is not up), frames are
   * released without being encoded, since the link could only drop them and the peer could not
   * decode what follows; the first frame after it says yes again is a keyframe. Default: yes.
   */
  readonly sendGate?: () => boolean;
  readonly onEvent: (event: SendPipelineEvent) => void;
}

export interface SendPipelineStats {
  readonly captured: number;
  readonly encoded: number;
  readonly encoderDropped: number;
  readonly encodeErrors: number;
  readonly keyframesForced: number;
  readonly cameraLost: number;
  /** Frames released unencoded while `sendGate` said no. */
  readonly gated: number;
}

export class VideoSendPipeline {
  readonly #options: SendPipelineOptions;
  readonly #encoder: Encoder | null;
  #pattern: PatternSource | null = null;
  #camera: Camera | null = null;
  #file: AnnexBReader | null = null;
  #timer: NodeJS.Timeout | null = null;
  #startUs = 0;
  #frameNumber = 0;
  #forceKeyframe = false;
  #captured = 0;
  #encoded = 0;
  #encodeErrors = 0;
  #keyframesForced = 0;
  #cameraLost = 0;
  #gated = 0;
  #lastGatedUs: number | null = null;
  #running = false;
  #stopped = false;
  /** One callback for every frame's timer, not a new closure per frame. */
  readonly #onTimer = (): void => {
    this.#tick();
  };

  constructor(options: SendPipelineOptions) {
    this.#options = options;
    const { addon, source, size } = options;
    // Open everything that can fail before anything runs, so a bad device or file is one line.
    switch (source.kind) {
      case 'pattern':
        this.#pattern = addon.patternSource(size.width, size.height);
        break;
      case 'v4l2':
        if (options.patternWhileCameraLost === true)
          this.#pattern = addon.patternSource(size.width, size.height);
        this.#camera = addon.openCamera(
          {
            device: source.device,
            width: size.width,
            height: size.height,
            fps: options.fps,
            format: options.cameraFormat ?? 'auto',
            convert: options.cameraConvert ?? 'cpu',
          },
          (event) => {
            this.#onCamera(event.kind === 'frame' ? event.frame : null, event);
          },
        );
        break;
      case 'file':
        this.#file = addon.openAnnexB(source.path, options.codec);
        break;
    }
    this.#encoder =
      source.kind === 'file'
        ? null
        : addon.createEncoder(
            {
              codec: options.codec,
              implementation: options.encoder,
              width: size.width,
              height: size.height,
              fps: options.fps,
              bitrateBps: options.bitrateBps,
              gopFrames: options.gopFrames ?? Math.round(options.fps * 2),
              intraRefresh: options.intraRefresh ?? true,
            },
            (out) => {
              this.#onEncoded(out);
            },
          );
  }

  start(): void {
    if (this.#running || this.#stopped) return;
    this.#running = true;
    this.#startUs = this.#options.clock();
    this.#frameNumber = 0;
    if (this.#camera !== null) this.#camera.start();
    else this.#tick();
  }

  /** Whether the synthetic pattern is standing in for a lost camera. */
  get standingIn(): boolean {
    return this.#camera !== null && this.#timer !== null;
  }

  /** Stops the source and the encoder; frames in flight are dropped. Idempotent. */
  stop(): void {
    this.#running = false;
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#camera?.close();
    this.#encoder?.close();
    this.#file?.close();
    this.#file = null;
  }

  /** The next frame is a keyframe (the peer lost something it cannot recover from). */
  requestKeyframe(): void {
    this.#forceKeyframe = true;
  }

  /** The transport's rate estimate, applied between frames. */
  setBitrate(bps: number): void {
    // The transport keeps estimating after the source stops (while it lingers for retransmissions).
    if (bps > 0 && !this.#stopped) this.#encoder?.setBitrate(Math.round(bps));
  }

  /**
   * When the last camera frame was held back unencoded because `sendGate` said no (µs, on the
   * pipeline's clock), or null: the camera is live though nothing is being encoded.
   */
  get lastGatedUs(): number | null {
    return this.#lastGatedUs;
  }

  stats(): SendPipelineStats {
    const encoder = this.#encoder?.stats();
    return {
      captured: this.#captured,
      encoded: this.#encoded,
      encoderDropped: encoder?.dropped ?? 0,
      encodeErrors: this.#encodeErrors,
      keyframesForced: this.#keyframesForced,
      cameraLost: this.#cameraLost,
      gated: this.#gated,
    };
  }

  /** Paces the synthetic camera and files at the frame rate, one capture time per frame. */
  #tick(): void {
    if (!this.#running) return;
    const intervalUs = 1e6 / this.#options.fps;
    const now = this.#options.clock();
    // A late timer skips frames rather than bunching them: a camera does not wait either.
    const due = Math.floor((now - this.#startUs) / intervalUs);
    if (due >= this.#frameNumber) {
      this.#frameNumber = due;
      this.#produce(now);
      this.#frameNumber++;
    }
    const next = this.#startUs + this.#frameNumber * intervalUs;
    this.#timer = setTimeout(this.#onTimer, Math.max(0, (next - this.#options.clock()) / 1000));
  }

  #produce(now: number): void {
    const n = this.#frameNumber;
    if (this.#pattern !== null) {
      this.#submit(this.#pattern.capture(n, Math.round(now)));
      return;
    }
    if (this.#file === null) return;
    let unit = this.#file.next();
    if (unit === null) {
      this.#file.rewind();
      unit = this.#file.next();
      if (unit === null) return;
    }
    this.#captured++;
    this.#encoded++;
    this.#options.onEvent({
      kind: 'access-unit',
      unit: {
        data: unit.data,
        keyframe: unit.keyframe,
        captureUs: Math.round(now),
        frameNumber: n,
        encodeUs: 0,
      },
    });
  }

  #submit(frame: VideoFrame): void {
    this.#captured++;
    const gate = this.#options.sendGate;
    if (gate !== undefined && !gate()) {
      this.#gated++;
      this.#lastGatedUs = this.#options.clock();
      this.#forceKeyframe = true;
      frame.release();
      return;
    }
    const force = this.#forceKeyframe;
    this.#forceKeyframe = false;
    if (force) this.#keyframesForced++;
    // The encoder takes its own reference: the handle goes back to its pool at once.
    this.#encoder?.encode(frame, force);
    frame.release();
  }

  #onCamera(
    frame: VideoFrame | null,
    event:
      | { readonly kind: 'frame' }
      | { readonly kind: 'lost'; readonly reason: string }
      | { readonly kind: 'reacquired' },
  ): void {
    switch (event.kind) {
      case 'frame':
        if (frame === null) return;
        if (!this.#running) {
          frame.release();
          return;
        }
        this.#submit(frame);
        break;
      case 'lost':
        this.#cameraLost++;
        this.#options.onEvent({ kind: 'camera-lost', reason: event.reason });
        // The pattern stands in, paced like a camera, until the camera is back.
        if (this.#pattern !== null && this.#running && this.#timer === null) {
          this.#startUs = this.#options.clock();
          this.#frameNumber = 0;
          this.#tick();
        }
        break;
      case 'reacquired':
        if (this.#timer !== null) clearTimeout(this.#timer);
        this.#timer = null;
        // A new stream from the camera: start it with a keyframe.
        this.#forceKeyframe = true;
        this.#options.onEvent({ kind: 'camera-back' });
        break;
    }
  }

  #onEncoded(out: EncoderOutput): void {
    if ('error' in out) {
      this.#encodeErrors++;
      this.#options.onEvent({ kind: 'encode-error', error: out.error, frameNumber: out.frameNumber });
      return;
    }
    this.#encoded++;
    this.#options.onEvent({ kind: 'access-unit', unit: out });
  }
}
