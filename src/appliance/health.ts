/**
 * Whether a running role is healthy enough to feed systemd's watchdog, and why media is not
 * flowing when it is not. Pure: figures in, a verdict out.
 *
 * The watchdog is fed while media flows, or while the peer is legitimately absent (not heard from
 * at all: switched off, unreachable, a network cut). It is starved, so systemd restarts the
 * service, when this side's own pipeline is stuck: local media stopped coming out of the encoder
 * while its device is present, or the peer's media arrives and nothing is decoded.
 */

export interface OutboundHealth {
  readonly stream: 'video' | 'audio';
  /** Local media came out of the encoder recently. */
  readonly producing: boolean;
  /**
   * The device is gone (camera or microphone unplugged): not producing is then expected, not
   * stuck; producing means a placeholder is going out.
   */
  readonly deviceLost: boolean;
  readonly sessionUp: boolean;
  /** The peer's address for this stream, for the explanation. */
  readonly peer: string;
  readonly initiationsSent: number;
}

export interface InboundHealth {
  readonly stream: 'video' | 'audio';
  readonly flowing: boolean;
  /** Frames arrive but the decoder gives nothing back. */
  readonly stuck: boolean;
  /** Where this side listens, for the explanation. */
  readonly listen: string;
  /** Milliseconds since the peer was last heard on this stream; null if never. */
  readonly heardAgoMs: number | null;
}

export interface HealthInput {
  readonly peerSite: string;
  /** The service started this recently: encoders and sessions are still coming up. */
  readonly startingUp: boolean;
  readonly outbound: readonly OutboundHealth[];
  readonly inbound: readonly InboundHealth[];
}

export interface HealthVerdict {
  readonly feedWatchdog: boolean;
  /** Why this side is unhealthy (the watchdog is starved); empty when healthy. */
  readonly stuck: readonly string[];
  /** Why media is not flowing both ways, for a person; null while it flows. */
  readonly notFlowingBecause: string | null;
}

/** Heard from within this long, the peer is present: its media should be arriving. */
const PRESENT_MS = 2000;

export function assessHealth(input: HealthInput): HealthVerdict {
  const stuck: string[] = [];
  const reasons: string[] = [];
  for (const out of input.outbound) {
    const device = out.stream === 'video' ? 'camera' : 'microphone';
    if (out.producing && out.deviceLost) {
      // Media flows, but not the room: the peer sees the placeholder until the device is back.
      reasons.push(`the ${device} is gone; sending a placeholder until it is back`);
    }
    if (!out.producing) {
      if (out.deviceLost) reasons.push(`the ${device} is gone; waiting for it to come back`);
      else if (!input.startingUp) stuck.push(`no ${out.stream} is coming out of the encoder`);
      else reasons.push(`the ${out.stream} encoder is starting`);
    }
    if (!out.sessionUp) {
      reasons.push(
        out.initiationsSent === 0
          ? `opening the ${out.stream} session to ${input.peerSite} at ${out.peer}`
          : `${input.peerSite} at ${out.peer} has not answered ${out.initiationsSent} ${out.stream} handshake${out.initiationsSent === 1 ? '' : 's'}`,
      );
    }
  }
  for (const inb of input.inbound) {
    if (inb.stuck) stuck.push(`${inb.stream} from ${input.peerSite} arrives but is not decoded`);
    if (inb.flowing) continue;
    if (inb.heardAgoMs === null) {
      reasons.push(
        `no ${inb.stream} from ${input.peerSite} yet: it has not opened a session to ${inb.listen}`,
      );
    } else if (inb.heardAgoMs >= PRESENT_MS) {
      reasons.push(
        `${input.peerSite} has not been heard on ${inb.listen} for ${Math.round(inb.heardAgoMs / 1000)} s`,
      );
    } else if (!input.startingUp) {
      // The peer speaks to us but sends no media: its side is stuck, or ours drops everything.
      reasons.push(`${input.peerSite} is connected but sends no ${inb.stream}`);
    }
  }
  return {
    feedWatchdog: stuck.length === 0,
    stuck,
    notFlowingBecause: stuck.length + reasons.length === 0 ? null : [...stuck, ...reasons].join('; '),
  };
}
