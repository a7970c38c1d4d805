/**
 * The endpoint a UDP driver runs for one link: the secure session when there is one (with every
 * method the batch driver uses: sealing into its ring, the live indices and the mac1 key for its
 * filter), else the bare Connection (`--insecure`). `onDatagram` hears of each datagram first.
 */
import type { Connection } from '../protocol/index.js';
import type { RingEndpoint } from '../udp/index.js';
import type { SecureSession } from './session.js';

export function linkEndpoint(
  session: SecureSession | null,
  connection: Connection,
  onDatagram: (now: number) => void,
): RingEndpoint {
  if (session === null) {
    return {
      handleDatagram: (now, datagram) => {
        onDatagram(now);
        connection.handleDatagram(now, datagram);
      },
      handleTimeout: (now) => {
        connection.handleTimeout(now);
      },
      pollTransmit: () => connection.pollTransmit(),
      pollTimeout: () => connection.pollTimeout(),
      lastTransmitLane: () => connection.lastTransmitLane(),
    };
  }
  return {
    handleDatagram: (now, datagram, from) => {
      onDatagram(now);
      session.handleDatagram(now, datagram, from);
    },
    handleTimeout: (now) => {
      session.handleTimeout(now);
    },
    pollTransmit: () => session.pollTransmit(),
    pollTimeout: () => session.pollTimeout(),
    pollTransmitInto: (out) => session.pollTransmitInto(out),
    lastTransmitTo: () => session.lastTransmitTo(),
    lastTransmitLane: () => session.lastTransmitLane(),
    pollReceiverIndices: () => session.pollReceiverIndices(),
    handshakeMac1Key: () => session.handshakeMac1Key(),
  };
}
