/**
 * The peer's media to this site: an inbound link feeding the decoder and display, or the audio
 * jitter buffer and speaker. Pictures go to the decoder the moment they are complete and in order
 * (the window shows the newest picture); a missing one is waited for up to the transport's
 * deadline so FEC and retransmission can repair it.
 */
import { AudioReceivePipeline } from '../audio/index.js';
import type { InboundStatus } from '../ops/index.js';
import { nowMicros } from '../udp/index.js';
import { VideoReceivePipeline, type PictureEvent } from '../video/index.js';
import { addonLoader, type LegNotice, type LegOptions } from './leg.js';
import { MediaLink } from './link.js';
import type { AudioInPlan, VideoInPlan } from './plan.js';
import { LatencyWindow, RateMeter, round1 } from './window.js';

export type InboundLegOptions = LegOptions<VideoInPlan | AudioInPlan>;

/** Media this recent counts as flowing. */
const FLOWING_US = 2_000_000;
/** A pause in media longer than this starts a new "flowing since". */
const RESUME_GAP_US = 500_000;
/** A frame is given up this long after capture: the transport's deadline. */
const DEADLINE_US = 150_000;

export class InboundLeg {
  readonly plan: VideoInPlan | AudioInPlan;
  readonly link: MediaLink;
  readonly #video: VideoReceivePipeline | null;
  readonly #audio: AudioReceivePipeline | null;
  readonly #onNotice: (notice: LegNotice) => void;
  readonly #latency = new LatencyWindow();
  readonly #frameRate = new RateMeter();
  readonly #byteRate = new RateMeter();
  readonly #packetRate = new RateMeter();
  readonly #lostRate = new RateMeter();
  #frames = 0;
  #framesLost = 0;
  /** When the last frame reached the decoder or the speaker's buffer, µs. */
  #lastFrameAt: number | null = null;
  /** When media started flowing after the last gap, µs; null before any. */
  #flowingSince: number | null = null;
  /** When a frame last came out of the decoder (video), µs. */
  #lastDecodedAt: number | null = null;
  /** The least delay lip sync asked of the audio buffer, µs; null: never asked. */
  #lipSyncDelayUs: number | null = null;

  constructor(options: InboundLegOptions) {
    const plan = options.plan;
    this.plan = plan;
    this.#onNotice = options.onNotice;
    const video = plan.stream === 'video';
    this.link = new MediaLink({
      direction: 'inbound',
      stream: plan.stream,
      fps: video ? plan.fps : 100,
      bind: plan.listen,
      keys: options.keys,
      repair: options.repair,
      ...(options.timings === undefined ? {} : { timings: options.timings }),
      config: video ? { deadlineUs: DEADLINE_US, maxPlayoutDelayUs: 0 } : { deadlineUs: DEADLINE_US },
      onEvent: (e) => {
        switch (e.kind) {
          case 'frame-complete':
            this.#frames++;
            if (this.#lastFrameAt === null || e.frame.completedAt - this.#lastFrameAt > RESUME_GAP_US) {
              this.#flowingSince = e.frame.completedAt;
            }
            this.#lastFrameAt = e.frame.completedAt;
            if (this.#audio !== null) {
              this.#audio.accept(e.frame.frameId, e.frame.localCaptureUs, e.frame.payload);
            }
            break;
          case 'frame':
            // Released by the jitter buffer in decode order; the decoder copies the bytes.
            this.#video?.accept(e.frame.payload, e.frame.frameId);
            this.link.recycle(e.frame);
            break;
          case 'frame-dropped':
            this.#framesLost++;
            break;
          case 'keyframe-request':
          case 'bandwidth':
            break;
        }
      },
    });
    if (plan.stream === 'video') {
      this.#audio = null;
      this.#video = new VideoReceivePipeline({
        addon: addonLoader(options.videoAddon, 'video')(),
        codec: 'h264',
        decoder: plan.decoder,
        sink: plan.sink,
        window: { fullscreen: plan.fullscreen },
        onEvent: (event) => {
          this.#onPicture(event);
        },
      });
    } else {
      this.#video = null;
      this.#audio = new AudioReceivePipeline({
        ...(options.duplexAudio === undefined
          ? {
              addon: addonLoader(options.audioAddon, 'audio')(),
              port: plan.port,
              codec: 'opus',
              blockFrames: 240,
            }
          : { duplex: options.duplexAudio }),
        clock: nowMicros,
        onDevice: (kind, detail) => {
          if (kind === 'lost') this.#onNotice({ kind: 'device-lost', device: 'speaker', detail });
          else this.#onNotice({ kind: 'device-back', device: 'speaker' });
        },
      });
    }
  }

  async start(): Promise<void> {
    try {
      await this.link.start();
      this.#audio?.start();
    } catch (err) {
      this.#video?.close();
      this.#audio?.close();
      await this.link.close().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Lip sync: the least capture-to-speaker delay the audio buffer keeps, so the sound waits for
   * slower pictures (audio only; a video leg ignores it).
   */
  setLipSyncDelayUs(us: number): void {
    if (this.#audio === null) return;
    this.#lipSyncDelayUs = us;
    this.#audio.setMinDelayUs(us);
  }

  /** The peer's media reached the decoder or the speaker within the last two seconds. */
  flowing(now: number): boolean {
    return this.#lastFrameAt !== null && now - this.#lastFrameAt < FLOWING_US;
  }

  /**
   * Frames arrive but nothing comes out of the decoder: a stuck pipeline (video only; audio is
   * played from the port's own thread whatever arrives).
   */
  stuck(now: number): boolean {
    if (this.#video === null || !this.flowing(now)) return false;
    return this.#lastDecodedAt === null ? false : now - this.#lastDecodedAt > FLOWING_US;
  }

  status(now: number): InboundStatus {
    const stats = this.link.stats();
    const stream = stats.streams[0];
    if (this.#audio !== null) {
      const latency = this.#audio.latencyUs;
      if (latency !== null) this.#latency.add(latency / 1000);
    }
    const packets = this.#packetRate.perSecond(stream?.packetsReceived ?? 0, now);
    const lost = this.#lostRate.perSecond(stream?.lost ?? 0, now);
    const heard = this.link.lastHeardAt;
    const jitter = this.#audio?.stats().jitter;
    const played = jitter === undefined ? 0 : jitter.playedMs + jitter.concealedMs + jitter.expandedMs;
    return {
      stream: this.plan.stream,
      session: this.link.sessionState(now),
      flowing: this.flowing(now),
      flowingSinceMs:
        this.flowing(now) && this.#flowingSince !== null ? Math.round(this.#flowingSince / 1000) : null,
      framesPerS: round1(this.#frameRate.perSecond(this.#frames, now)),
      bitrateBps: Math.round(this.#byteRate.perSecond((stream?.bytesReceived ?? 0) * 8, now)),
      lossPercent: packets + lost > 0 ? round1((100 * lost) / (packets + lost)) : 0,
      latencyMs: this.#latency.take(),
      packetsReceived: stream?.packetsReceived ?? 0,
      fecRecovered: stream?.fecRecovered ?? 0,
      retransmitted: stream?.retransmittedReceived ?? 0,
      framesLost: this.#framesLost,
      concealedPercent:
        jitter === undefined ? null : played > 0 ? round1((100 * jitter.concealedMs) / played) : 0,
      audioMs:
        jitter === undefined
          ? null
          : { played: Math.round(played), concealed: Math.round(jitter.concealedMs) },
      lipSyncDelayMs: this.#lipSyncDelayUs === null ? null : round1(this.#lipSyncDelayUs / 1000),
      lastHeardAgoMs: heard === null ? null : Math.round((now - heard) / 1000),
    };
  }

  async close(): Promise<void> {
    await this.link.close();
    this.#video?.close();
    this.#audio?.close();
  }

  #onPicture(event: PictureEvent): void {
    switch (event.kind) {
      case 'decoded': {
        this.#lastDecodedAt = event.decodedUs;
        // The pixel code holds the sender's capture clock: latency is read from the picture.
        if (event.code !== null) {
          const capture = this.link.toLocal(event.code.captureUs) ?? event.code.captureUs;
          this.#latency.add((event.decodedUs - capture) / 1000);
        }
        break;
      }
      case 'presented':
        break;
      case 'decode-error':
      case 'present-error':
        this.#onNotice({ kind: 'error', message: `${event.kind}: ${event.error}` });
        break;
      case 'window-closed':
        this.#onNotice({ kind: 'error', message: 'the display window was closed' });
        break;
    }
  }
}
