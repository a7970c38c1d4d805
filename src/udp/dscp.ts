/**
 * DSCP marks for the link's datagrams (RFC 4594): interactive audio and the protocol's control
 * (which rides the audio lane) as Expedited Forwarding, video and its repair and retransmissions
 * as AF41, probes unmarked. A network that honours them queues the sound ahead of the picture.
 */
import { Lane } from '../protocol/index.js';

export const DSCP_EF = 46;
export const DSCP_AF41 = 34;

/** The IP TOS / IPv6 traffic-class byte for a pacing lane (null: a handshake message). */
export function tosForLane(lane: Lane | null): number {
  switch (lane) {
    case null:
    case Lane.audio:
      return DSCP_EF << 2;
    case Lane.video:
    case Lane.retransmission:
    case Lane.repair:
      return DSCP_AF41 << 2;
    case Lane.probe:
      return 0;
  }
}
