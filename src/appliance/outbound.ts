/**
 * This site's media to the peer: the camera through the encoder, or the microphone through the
 * echo canceller and Opus, onto an outbound link. Follows the peer's keyframe requests and its
 * bandwidth estimate within the site's bitrate bounds.
 */
import { AudioSendPipeline } from '../audio/index.js';
import type { OutboundStatus } from '../ops/index.js';
import { nowMicros } from '../udp/index.js';
import { VideoSendPipeline, type SendPipelineEvent } from '../video/index.js';
import { addonLoader, type LegNotice, type LegOptions } from './leg.js';
import { MediaLink } from './link.js';
import type { AudioOutPlan, VideoOutPlan } from './plan.js';
import { RateMeter, round1 } from './window.js';

export type { LegNotice } from './leg.js';

export type OutboundLegOptions = LegOptions<VideoOutPlan | AudioOutPlan>;

/** Local media this recent counts as being produced. */
const PRODUCING_US = 2_000_000;
const AUDIO_LINK_BPS = 2_000_000;

export class OutboundLeg {
  readonly plan: VideoOutPlan | AudioOutPlan;
  readonly link: MediaLink;
  readonly #video: VideoSendPipeline | null;
  readonly #audio: AudioSendPipeline | null;
  readonly #onNotice: (notice: LegNotice) => void;
  readonly #frames = new RateMeter();
  readonly #bytes = new RateMeter();
  #produced = 0;
  #lastProducedAt: number | null = null;
  #keyframeRequests = 0;
  #targetBps: number;
  /** The camera or microphone is gone (the engine reacquires it on its own). */
  #deviceLost = false;

  /** Opens the devices and the encoder; a missing device or feature throws a one-line error now. */
  constructor(options: OutboundLegOptions) {
    const plan = options.plan;
    this.plan = plan;
    this.#onNotice = options.onNotice;
    const video = plan.stream === 'video';
    this.#targetBps = video ? plan.maxBitrateBps : plan.bitrateBps;
    this.link = new MediaLink({
      direction: 'outbound',
      stream: plan.stream,
      fps: video ? plan.fps : 100,
      bind: { host: plan.to.host.includes(':') ? '::' : '0.0.0.0', port: 0 },
      peer: plan.to,
      keys: options.keys,
      repair: options.repair,
      ...(options.timings === undefined ? {} : { timings: options.timings }),
      config: video
        ? {
            // As `doorway send` with a real encoder: predicted pictures make FEC aim lower, and
            // small pictures go out within a tenth of the frame interval.
            fecTargetResidual: 0.001,
            pacingFraction: 0.1,
            maxBitrateBps: plan.maxBitrateBps,
            initialBitrateBps: Math.min(plan.maxBitrateBps, Math.max(plan.minBitrateBps, 8_000_000)),
            minBitrateBps: plan.minBitrateBps,
          }
        : { maxBitrateBps: AUDIO_LINK_BPS, initialBitrateBps: AUDIO_LINK_BPS, minBitrateBps: 300_000 },
      onEvent: (e) => {
        switch (e.kind) {
          case 'keyframe-request':
            this.#keyframeRequests++;
            this.#video?.requestKeyframe();
            break;
          case 'bandwidth':
            if (plan.stream === 'video') {
              this.#targetBps = Math.max(plan.minBitrateBps, Math.min(plan.maxBitrateBps, e.bps));
              this.#video?.setBitrate(this.#targetBps);
            }
            break;
          case 'frame':
            this.link.recycle(e.frame);
            break;
          case 'frame-complete':
          case 'frame-dropped':
            break;
        }
      },
    });
    if (plan.stream === 'video') {
      const addon = addonLoader(options.videoAddon, 'video')();
      this.#audio = null;
      this.#video = new VideoSendPipeline({
        addon,
        source: plan.source,
        size: plan.size,
        fps: plan.fps,
        bitrateBps: this.#targetBps,
        codec: 'h264',
        encoder: plan.encoder,
        gopFrames: plan.fps * 2,
        patternWhileCameraLost: plan.patternWhileCameraLost,
        clock: nowMicros,
        // Nothing is encoded for a peer whose session is not up; the first picture after it is.
        sendGate: () => this.link.established,
        onEvent: (event) => {
          this.#onPicture(event);
        },
      });
    } else {
      this.#video = null;
      this.#audio = new AudioSendPipeline({
        ...(options.duplexAudio === undefined
          ? {
              addon: addonLoader(options.audioAddon, 'audio')(),
              port: plan.port,
              codec: 'opus',
              blockFrames: 240,
              bitrateBps: plan.bitrateBps,
              echoCancel: plan.echoCancel,
              ...plan.echoLayout,
            }
          : { duplex: options.duplexAudio }),
        onPacket: (packet, captureUs) => {
          this.#produced++;
          this.#lastProducedAt = captureUs;
          // Each block decodes on its own: every audio frame is a keyframe.
          this.link.sendFrame(packet, { captureUs, keyframe: true });
        },
        onDevice: (kind, detail) => {
          this.#deviceLost = kind === 'lost';
          if (kind === 'lost') this.#onNotice({ kind: 'device-lost', device: 'microphone', detail });
          else this.#onNotice({ kind: 'device-back', device: 'microphone' });
        },
      });
    }
  }

  async start(): Promise<void> {
    await this.link.start();
    this.#video?.start();
    this.#audio?.start();
  }

  /**
   * Local media came out of the encoder within the last two seconds, or camera frames were held
   * back unencoded because the session is not up (nothing is encoded for a peer that is away).
   */
  producing(now: number): boolean {
    const recent = (at: number | null | undefined): boolean =>
      at !== null && at !== undefined && now - at < PRODUCING_US;
    return recent(this.#lastProducedAt) || recent(this.#video?.lastGatedUs);
  }

  get deviceLost(): boolean {
    return this.#deviceLost;
  }

  status(now: number): OutboundStatus {
    const stats = this.link.stats();
    const stream = stats.streams[0];
    return {
      stream: this.plan.stream,
      session: this.link.sessionState(now),
      producing: this.producing(now),
      deviceLost: this.#deviceLost,
      framesPerS: round1(this.#frames.perSecond(this.#produced, now)),
      bitrateBps: Math.round(this.#bytes.perSecond((stream?.bytesSent ?? 0) * 8, now)),
      targetBitrateBps: this.#targetBps,
      packetsSent: stream?.packetsSent ?? 0,
      keyframeRequests: this.#keyframeRequests,
      rttMs: stats.rttUs === null ? null : round1(stats.rttUs / 1000),
    };
  }

  async close(): Promise<void> {
    this.#video?.stop();
    this.#audio?.stop();
    await this.link.close();
  }

  #onPicture(event: SendPipelineEvent): void {
    switch (event.kind) {
      case 'access-unit':
        this.#produced++;
        this.#lastProducedAt = nowMicros();
        this.link.sendFrame(event.unit.data, {
          captureUs: event.unit.captureUs,
          keyframe: event.unit.keyframe,
        });
        break;
      case 'camera-lost':
        this.#deviceLost = true;
        this.#onNotice({ kind: 'device-lost', device: 'camera', detail: event.reason });
        break;
      case 'camera-back':
        this.#deviceLost = false;
        this.#onNotice({ kind: 'device-back', device: 'camera' });
        break;
      case 'encode-error':
        this.#onNotice({ kind: 'error', message: `encoder: ${event.error}` });
        break;
    }
  }
}
