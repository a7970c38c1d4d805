/**
 * doorway's media protocol, sans-I/O. See docs/PROTOCOL.md for the wire format and behaviour.
 *
 * ```ts
 * const conn = new Connection({ config: { streams: [{ id: 1, kind: 'video', fps: 60 }] } });
 * conn.sendFrame(now, 1, encoded, { captureUs: now, keyframe: true });
 * for (let d = conn.pollTransmit(); d; d = conn.pollTransmit()) socket.send(d);
 * conn.handleDatagram(now, bytes); conn.handleTimeout(now);
 * for (let e = conn.pollEvent(); e; e = conn.pollEvent()) { ... }
 * ```
 */
export { Connection, type ConnectionEvent, type ConnectionOptions } from './connection.js';
export {
  connectionConfig,
  DEFAULT_CONFIG,
  maxMediaPayload,
  ProtocolConfigError,
  type ConnectionConfig,
  type StreamKind,
  type StreamSpec,
} from './config.js';
export type { CompletedFrame } from './receive-stream.js';
export type { FrameInput } from './send-stream.js';
export type { ConnectionStatsSnapshot, MalformedReason, StreamStatsSnapshot } from './stats.js';
export { ReedSolomonRepair, type RepairCoder } from './repair.js';
export { ClockSync } from './clock-sync.js';
export { VideoJitterBuffer } from './jitter-buffer.js';
export { PROTOCOL_VERSION } from './wire.js';
export { Lane } from './pacer.js';
