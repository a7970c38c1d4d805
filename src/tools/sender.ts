/**
 * `doorway send`: synthetic frames at a bitrate and frame rate, over a real UDP socket, for a
 * fixed time. Follows the peer's keyframe requests and, unless told not to, its bandwidth
 * estimate (never above the requested bitrate).
 */
import type { Logger } from '../log/index.js';
import { transportRepair } from './repair.js';
import { warmUpTransport } from './warm-up.js';
import { Connection, type ConnectionConfig, type ConnectionOptions } from '../protocol/index.js';
import { openSession, securityFigures, type SecurityFigures, type SecurityOptions } from './security.js';
import { SyntheticFrames } from '../synthetic/index.js';
import { formatAddress, nowMicros, UdpDriver, type UdpAddress } from '../udp/index.js';

export interface SenderOptions {
  readonly to: UdpAddress;
  readonly bind?: UdpAddress;
  readonly bitrateBps: number;
  readonly fps: number;
  readonly durationS: number;
  readonly keyframeInterval: number;
  readonly seed?: number;
  /** Follow the bandwidth estimate (default true). */
  readonly adapt?: boolean;
  /** Extra time after the last frame to serve retransmissions, ms. */
  readonly lingerMs?: number;
  readonly config?: Partial<ConnectionConfig>;
  readonly log?: Logger;
  /** Keys for the secure session; null sends in the clear (`--insecure`, benchmarks only). */
  readonly security: SecurityOptions | null;
}

export interface SenderSummary {
  readonly frames: number;
  readonly keyframes: number;
  readonly keyframeRequests: number;
  readonly bytes: number;
  readonly finalBitrateBps: number;
  readonly stats: ReturnType<Connection['stats']>;
  readonly security: SecurityFigures;
}

export const VIDEO_STREAM = 1;

export async function runSender(options: SenderOptions): Promise<SenderSummary> {
  const repair = transportRepair(options.log);
  warmUpTransport(options.bitrateBps, repair);
  const connectionOptions: ConnectionOptions = {
    repair,
    config: {
      ...options.config,
      streams: [
        { id: 0, kind: 'audio', fps: 100 },
        { id: VIDEO_STREAM, kind: 'video', fps: options.fps },
      ],
      maxBitrateBps: options.bitrateBps,
      initialBitrateBps: options.bitrateBps,
      // Without adaptation the bitrate is pinned: rate control cannot slow the pacing below it.
      minBitrateBps: options.adapt === false ? options.bitrateBps : Math.min(options.bitrateBps, 300_000),
    },
  };
  const session =
    options.security === null
      ? null
      : openSession('initiator', options.security, connectionOptions, formatAddress(options.to));
  const connection = session?.connection ?? new Connection(connectionOptions);
  const source = new SyntheticFrames({
    bitrateBps: options.bitrateBps,
    fps: options.fps,
    keyframeInterval: options.keyframeInterval,
    seed: options.seed ?? 1,
  });
  let forceKeyframe = false;
  let keyframes = 0;
  let keyframeRequests = 0;
  let bytes = 0;
  const adapt = options.adapt ?? true;
  const driver = new UdpDriver({
    endpoint: session ?? connection,
    bind: options.bind ?? { host: options.to.host.includes(':') ? '::' : '0.0.0.0', port: 0 },
    peer: options.to,
    onActivity: () => {
      for (let e = connection.pollEvent(); e !== null; e = connection.pollEvent()) {
        switch (e.kind) {
          case 'keyframe-request':
            keyframeRequests++;
            forceKeyframe = true;
            break;
          case 'bandwidth':
            if (adapt) source.setBitrate(Math.min(options.bitrateBps, e.bps));
            options.log?.debug({ bps: e.bps }, 'bandwidth estimate');
            break;
          case 'frame':
            connection.recycle(e.frame);
            break;
          case 'frame-complete':
          case 'frame-dropped':
            break;
        }
      }
    },
  });
  await driver.start();
  const total = Math.round(options.durationS * options.fps);
  const intervalUs = 1e6 / options.fps;
  const start = nowMicros();
  await new Promise<void>((resolve) => {
    let sent = 0;
    const tick = (): void => {
      const now = nowMicros();
      // Catch up on frames whose capture time has passed (a late timer), one capture time each.
      while (sent < total && start + sent * intervalUs <= now) {
        const frame = source.next(forceKeyframe);
        forceKeyframe = false;
        if (frame.keyframe) keyframes++;
        bytes += frame.payload.length;
        connection.sendFrame(now, VIDEO_STREAM, frame.payload, {
          captureUs: Math.round(start + sent * intervalUs),
          keyframe: frame.keyframe,
        });
        sent++;
      }
      driver.kick();
      if (sent >= total) {
        resolve();
        return;
      }
      setTimeout(tick, Math.max(0, (start + sent * intervalUs - nowMicros()) / 1000));
    };
    tick();
  });
  await new Promise((resolve) => setTimeout(resolve, options.lingerMs ?? 500));
  const stats = connection.stats();
  await driver.close();
  return {
    frames: total,
    keyframes,
    keyframeRequests,
    bytes,
    finalBitrateBps: source.bitrateBps,
    stats,
    security: securityFigures(session),
  };
}
