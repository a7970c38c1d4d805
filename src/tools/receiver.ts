/**
 * `doorway recv`: listens for one sender, reassembles and recovers its frames, and writes the
 * receive report (on-time share, latency from capture to complete, transport counters).
 */
import { createWriteStream } from 'node:fs';
import type { Logger } from '../log/index.js';
import { transportRepair } from './repair.js';
import { warmUpTransport } from './warm-up.js';
import { Connection, type ConnectionConfig, type ConnectionOptions } from '../protocol/index.js';
import { openSession, securityFigures, type SecurityFigures, type SecurityOptions } from './security.js';
import { verifySyntheticFrame } from '../synthetic/index.js';
import { nowMicros, UdpDriver, type UdpAddress } from '../udp/index.js';
import { FrameLedger, type ReceiveReport } from './report.js';
import { VIDEO_STREAM } from './sender.js';

export interface ReceiverOptions {
  readonly listen: UdpAddress;
  readonly durationS: number;
  readonly deadlineMs: number;
  /** Stop this long after the last datagram once traffic has started, ms (default 2000). */
  readonly idleMs?: number;
  readonly fps?: number;
  readonly framesLog?: string;
  readonly config?: Partial<ConnectionConfig>;
  readonly log?: Logger;
  /** Keys for the secure session; null receives in the clear (`--insecure`, benchmarks only). */
  readonly security: SecurityOptions | null;
  /** Called once the socket is bound (tests use the port). */
  readonly onListening?: (address: UdpAddress) => void;
}

export async function runReceiver(
  options: ReceiverOptions,
): Promise<ReceiveReport & { security: SecurityFigures }> {
  const repair = transportRepair(options.log);
  warmUpTransport(8e6, repair);
  const connectionOptions: ConnectionOptions = {
    repair,
    config: {
      ...options.config,
      streams: [
        { id: 0, kind: 'audio', fps: 100 },
        { id: VIDEO_STREAM, kind: 'video', fps: options.fps ?? 60 },
      ],
      deadlineUs: Math.max(options.config?.deadlineUs ?? 0, options.deadlineMs * 1000),
    },
  };
  const session =
    options.security === null ? null : openSession('responder', options.security, connectionOptions);
  const connection = session?.connection ?? new Connection(connectionOptions);
  const ledger = new FrameLedger(options.deadlineMs);
  let lastDatagramAt = 0;
  let started = false;
  const driver = new UdpDriver({
    endpoint: {
      handleDatagram: (now, datagram, from) => {
        started = true;
        lastDatagramAt = now;
        if (session === null) connection.handleDatagram(now, datagram);
        else session.handleDatagram(now, datagram, from);
      },
      handleTimeout: (now) => {
        (session ?? connection).handleTimeout(now);
      },
      pollTransmit: () => (session ?? connection).pollTransmit(),
      pollTimeout: () => (session ?? connection).pollTimeout(),
    },
    bind: options.listen,
    receiveBufferBytes: 8 * 1024 * 1024,
    onActivity: () => {
      for (let e = connection.pollEvent(); e !== null; e = connection.pollEvent()) {
        switch (e.kind) {
          case 'frame-complete':
            if (e.frame.stream === VIDEO_STREAM) {
              // Frame ids count frames the connection took; the payload's own index counts every frame made.
              const intact = verifySyntheticFrame(e.frame.payload) !== null;
              ledger.complete(e.frame.frameId, e.frame.localCaptureUs, e.frame.completedAt, intact);
            }
            break;
          case 'frame':
            connection.recycle(e.frame);
            break;
          case 'frame-dropped':
          case 'keyframe-request':
          case 'bandwidth':
            break;
        }
      }
    },
  });
  const bound = await driver.start();
  options.onListening?.(bound);
  const startedAt = nowMicros();
  const idleUs = (options.idleMs ?? 2000) * 1000;
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      const now = nowMicros();
      if (now - startedAt >= options.durationS * 1e6 || (started && now - lastDatagramAt >= idleUs)) {
        clearInterval(check);
        resolve();
      }
    }, 20);
  });
  const stats = connection.stats();
  await driver.close();
  const video = stats.streams.find((s) => s.stream === VIDEO_STREAM);
  const report = ledger.report(
    {
      packets: video?.packetsReceived ?? 0,
      fecRecovered: video?.fecRecovered ?? 0,
      retransmitted: video?.retransmittedReceived ?? 0,
      nacks: video?.nacksSent ?? 0,
      keyframeRequests: stats.keyframeRequestsSent,
      rttMs: stats.rttUs === null ? 0 : Math.round(stats.rttUs / 10) / 100,
      malformed: stats.malformed,
    },
    (nowMicros() - startedAt) / 1e6,
  );
  if (options.framesLog !== undefined) await writeFramesLog(options.framesLog, ledger);
  return { ...report, security: securityFigures(session) };
}

async function writeFramesLog(file: string, ledger: FrameLedger): Promise<void> {
  const out = createWriteStream(file);
  for (const line of ledger.lines()) out.write(`${JSON.stringify(line)}\n`);
  await new Promise<void>((resolve, reject) => {
    out.end((err?: Error | null) => {
      if (err) reject(err);
      else resolve();
    });
  });
}
