/**
 * `doorway send`, `doorway recv` and `doorway netsim`: the one-direction tools the transport's
 * tests and benchmarks drive. Their flags and the recv report are a contract (docs/PROTOCOL.md).
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../errors/index.js';
import { NetsimConfigError, parseKnobArgs } from '../netsim/index.js';
import { runReceiver } from '../tools/receiver.js';
import { startRelay } from '../tools/relay.js';
import type { SecurityOptions } from '../tools/security.js';
import { runSender } from '../tools/sender.js';
import { parseAddress, type UdpAddress } from '../udp/index.js';
import type {
  DecoderImplementation,
  EncoderImplementation,
  HwCodec,
  UdpDriverChoice,
} from '../media/index.js';
import { loadVideoAddon } from '../tools/sender.js';
import { parseSize, parseSourceSpec } from '../video/index.js';
import { parseAudioSink, parseAudioSource } from '../audio/spec.js';
import type { CliIo } from './index.js';

/** `8M`, `500k`, `2.5M`, `1200000` → bit/s. */
export function parseBitrate(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([kKmMgG]?)$/.exec(text.trim());
  if (match === null) throw new UsageError(`--bitrate '${text}' is not a rate such as 8M or 500k`);
  const scale = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6, g: 1e9, G: 1e9 }[match[2] ?? ''] ?? 1;
  const value = Number(match[1]) * scale;
  if (!(value > 0)) throw new UsageError(`--bitrate '${text}' must be positive`);
  return Math.round(value);
}

function positive(flag: string, text: string, integer = false): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`${flag} '${text}' must be a positive ${integer ? 'whole ' : ''}number`);
  }
  return value;
}

function address(flag: string, text: string): UdpAddress {
  try {
    return parseAddress(text, flag);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** The key flags send and recv share; `peer` names the other end in the help text. */
function withKeyOptions(command: Command, peer: 'sender' | 'receiver'): Command {
  return command
    .option('--key <file>', "this side's private key file (mode 0600)")
    .option('--peer-key <key>', `the ${peer}'s public key: base64 text, or a file holding it`)
    .option('--insecure', 'no encryption (benchmarks only)');
}

/**
 * Keys for send/recv: both --key and --peer-key, or --insecure (benchmarks only), never neither.
 */
function securityFrom(o: Record<string, string | boolean | undefined>): SecurityOptions | null {
  const key = typeof o.key === 'string' ? o.key : undefined;
  const peerKey = typeof o.peerKey === 'string' ? o.peerKey : undefined;
  if (o.insecure === true) {
    if (key !== undefined || peerKey !== undefined)
      throw new UsageError('--insecure cannot be combined with --key or --peer-key');
    return null;
  }
  if (key === undefined || peerKey === undefined) {
    throw new UsageError(
      '--key FILE and --peer-key KEY are required (media is encrypted; --insecure is for benchmarks)',
    );
  }
  return { privateKeyFile: key, peerKey };
}

function codecFrom(text: string): HwCodec {
  if (text === 'h264' || text === 'hevc') return text;
  throw new UsageError(`--codec '${text}' is not h264 or hevc`);
}

/** `auto`: NVENC where this build has it and the GPU answers, else libx264. */
function encoderFrom(text: string): EncoderImplementation {
  if (text === 'x264' || text === 'nvenc') return text;
  if (text !== 'auto') throw new UsageError(`--encoder '${text}' is not auto, x264 or nvenc`);
  const addon = loadVideoAddon();
  return addon.features.includes('nvenc') && addon.probeNvenc().ok ? 'nvenc' : 'x264';
}

function audioCodecFrom(text: string): 'opus' | 'pcm' {
  if (text === 'opus' || text === 'pcm') return text;
  throw new UsageError(`--audio-codec '${text}' is not opus or pcm`);
}

/** `--audio-block-ms`: 5 or 10 → frames at 48 kHz. */
function audioBlockFrom(text: string): 240 | 480 {
  if (text === '5') return 240;
  if (text === '10') return 480;
  throw new UsageError(`--audio-block-ms '${text}' is not 5 or 10`);
}

function decoderFrom(text: string): DecoderImplementation {
  if (text === 'software' || text === 'nvdec') return text;
  throw new UsageError(`--decoder '${text}' is not software or nvdec`);
}

function udpDriverFrom(text: string): UdpDriverChoice {
  if (text === 'auto' || text === 'native' || text === 'dgram') return text;
  throw new UsageError(`--udp '${text}' is not auto, native or dgram`);
}

export function registerTransportCommands(program: Command, io: CliIo): void {
  withKeyOptions(program.command('send'), 'receiver')
    .description('send video and audio to a receiver over the doorway protocol')
    .requiredOption('--to <host:port>', 'where the receiver listens')
    .option(
      '--source <source>',
      'pattern (synthetic camera), v4l2:/dev/videoN, file:PATH.h264 (Annex B), frames (transport stand-ins), or none',
      'pattern',
    )
    .option(
      '--audio <source>',
      'also send sound: device[:NAME] (PortAudio), synthetic[:speech|tone|markers|silence], or file:PATH.wav',
    )
    .option('--audio-codec <codec>', 'opus or pcm', 'opus')
    .option('--audio-block-ms <ms>', 'audio block length: 5 or 10', '5')
    .option('--audio-bitrate <rate>', 'Opus bitrate, e.g. 128k', '128k')
    .option('--echo-cancel <when>', 'auto (on for a device), on or off', 'auto')
    .option('--size <WxH>', 'picture size', '1280x720')
    .option('--codec <codec>', 'h264 or hevc', 'h264')
    .option('--encoder <name>', 'auto, x264 or nvenc', 'auto')
    .option('--when-camera-lost <what>', 'pattern (send the synthetic camera) or nothing', 'nothing')
    .option('--bitrate <rate>', 'target bitrate, e.g. 8M', '8M')
    .option('--fps <n>', 'frames per second', '60')
    .option('--duration <s>', 'seconds to send', '10')
    .option('--keyframe-interval <n>', 'frames from one keyframe to the next', '60')
    .option('--bind <host:port>', 'local address to send from')
    .option('--no-adapt', 'keep the bitrate fixed instead of following the bandwidth estimate')
    .option('--udp <driver>', 'auto (native when built), native or dgram', 'auto')
    .option('--seed <n>', 'seed of the frame sizes', '1')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const noVideo = o.source === 'none';
      const source = parseSourceSpec(noVideo ? 'frames' : String(o.source));
      const security = securityFrom(o);
      const port = typeof o.audio === 'string' ? parseAudioSource(o.audio) : null;
      const echo = String(o.echoCancel);
      if (echo !== 'auto' && echo !== 'on' && echo !== 'off')
        throw new UsageError(`--echo-cancel '${echo}' is not auto, on or off`);
      if (noVideo && port === null)
        throw new UsageError('--source none needs --audio: there would be nothing to send');
      const codec = codecFrom(String(o.codec));
      const size = parseSize(String(o.size));
      const whenLost = String(o.whenCameraLost);
      if (whenLost !== 'pattern' && whenLost !== 'nothing')
        throw new UsageError(`--when-camera-lost '${whenLost}' is not pattern or nothing`);
      const summary = await runSender({
        security,
        standIns: !noVideo,
        ...(port === null
          ? {}
          : {
              audio: {
                port,
                codec: audioCodecFrom(String(o.audioCodec)),
                blockFrames: audioBlockFrom(String(o.audioBlockMs)),
                bitrateBps: parseBitrate(String(o.audioBitrate)),
                echoCancel: echo === 'on' || (echo === 'auto' && port.port === 'portaudio'),
                // A process with no camera and no encoder is an audio service: let it go first.
                prioritise: noVideo,
              },
            }),
        ...(source.kind === 'frames'
          ? {}
          : {
              video: {
                source,
                size,
                codec,
                encoder: source.kind === 'file' ? 'x264' : encoderFrom(String(o.encoder)),
                patternWhileCameraLost: whenLost === 'pattern',
              },
            }),
        to: address('--to', String(o.to)),
        ...(o.bind === undefined ? {} : { bind: address('--bind', String(o.bind)) }),
        bitrateBps: parseBitrate(String(o.bitrate)),
        fps: positive('--fps', String(o.fps)),
        durationS: positive('--duration', String(o.duration)),
        keyframeInterval: positive('--keyframe-interval', String(o.keyframeInterval), true),
        seed: positive('--seed', String(o.seed), true),
        adapt: o.adapt !== false,
        udp: udpDriverFrom(String(o.udp)),
      });
      const video = summary.stats.streams.find((st) => st.kind === 'video');
      const {
        frames,
        keyframes,
        keyframeRequests,
        bytes,
        finalBitrateBps,
        encoderDropped,
        encodeErrors,
        udp,
        cpu,
      } = summary;
      const audio =
        summary.audio === null
          ? undefined
          : {
              packets: summary.audio.packets,
              bytes: summary.audio.bytes,
              markersCapturedUs: summary.audio.markersCapturedUs,
              overruns: summary.audio.engine.overruns,
              device: summary.audio.engine.device,
              scheduling: { port: summary.audio.engine.scheduling, process: summary.processScheduling },
            };
      io.out(
        `${JSON.stringify({ frames, framesRefused: video?.framesRefused ?? 0, packetsSent: video?.packetsSent ?? 0, keyframes, keyframeRequests, bytes, finalBitrateBps, encoderDropped, encodeErrors, udp, cpu, audio })}\n`,
      );
    });

  withKeyOptions(program.command('recv'), 'sender')
    .description(
      'receive, decode and present video and play audio from doorway send, and write a JSON report',
    )
    .requiredOption('--listen <host:port>', 'address to listen on')
    .option('--no-decode', 'transport only: measure capture to frame complete')
    .option('--sink <sink>', 'headless or window', 'headless')
    .option('--codec <codec>', 'h264 or hevc', 'h264')
    .option('--decoder <name>', 'software or nvdec', 'software')
    .option('--last-frame <file.png>', 'write the last decoded picture here')
    .option('--audio-sink <sink>', 'play the audio stream: device[:NAME] (PortAudio), null or file:PATH.wav')
    .option('--audio-codec <codec>', 'opus or pcm', 'opus')
    .option('--audio-block-ms <ms>', "the sender's audio block length: 5 or 10", '5')
    .option('--progress', 'print a JSON status line to stderr every second')
    .option('--fps <n>', "the sender's frame rate", '60')
    .option('--duration <s>', 'longest time to run, in seconds', '10')
    .option('--deadline-ms <ms>', 'a frame is on time when complete this long after capture', '100')
    .option('--report <file>', 'write the JSON report here (default: stdout)')
    .option('--frames-log <file>', 'write one JSON line per frame here')
    .option('--idle-ms <ms>', 'stop this long after the sender falls silent', '2000')
    .option('--udp <driver>', 'auto (native when built), native or dgram', 'auto')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const security = securityFrom(o);
      const sink = String(o.sink);
      if (sink !== 'headless' && sink !== 'window')
        throw new UsageError(`--sink '${sink}' is not headless or window`);
      const audioPort = typeof o.audioSink === 'string' ? parseAudioSink(o.audioSink) : null;
      const report = await runReceiver({
        security,
        udp: udpDriverFrom(String(o.udp)),
        ...(audioPort === null
          ? {}
          : {
              audio: {
                port: audioPort,
                codec: audioCodecFrom(String(o.audioCodec)),
                blockFrames: audioBlockFrom(String(o.audioBlockMs)),
                // With no decoder this process only plays sound: let it go first.
                prioritise: o.decode === false,
              },
            }),
        ...(o.decode === false
          ? {}
          : {
              video: {
                codec: codecFrom(String(o.codec)),
                decoder: decoderFrom(String(o.decoder)),
                sink,
                ...(typeof o.lastFrame === 'string' ? { lastPicturePng: o.lastFrame } : {}),
              },
            }),
        ...(o.progress === true
          ? {
              onProgress: (p) => {
                io.err(`${JSON.stringify({ progress: p })}\n`);
              },
            }
          : {}),
        listen: address('--listen', String(o.listen)),
        durationS: positive('--duration', String(o.duration)),
        deadlineMs: positive('--deadline-ms', String(o.deadlineMs)),
        idleMs: positive('--idle-ms', String(o.idleMs)),
        fps: positive('--fps', String(o.fps)),
        // Once bound (after the warm-up), say so: scripts start the sender on this line.
        onListening: (a) => {
          io.err(`listening on ${a.host}:${a.port}\n`);
        },
        ...(typeof o.framesLog === 'string' ? { framesLog: o.framesLog } : {}),
      });
      const text = `${JSON.stringify(report, null, 2)}\n`;
      if (typeof o.report === 'string') writeFileSync(o.report, text);
      else io.out(text);
    });

  program
    .command('netsim')
    .description('relay UDP between two endpoints through the seeded network simulator')
    .requiredOption('--listen <host:port>', 'address the client sends to')
    .requiredOption('--to <host:port>', 'where datagrams are relayed')
    .option('--seed <n>', 'seed of the impairments', '1')
    .option('--duration <s>', 'stop after this many seconds (default: run until killed)')
    .argument(
      '[knobs...]',
      'impairments: loss=2% ge=P,R delay=10ms jitter=5ms rate=20mbit queue=64kb reorder=1% dup=0.5% outage=5s+5s',
    )
    .action(async (knobs: string[], o: Record<string, string | undefined>) => {
      let forward;
      try {
        forward = parseKnobArgs(knobs);
      } catch (err) {
        if (err instanceof NetsimConfigError) throw new UsageError(err.message);
        throw err;
      }
      const relay = await startRelay({
        listen: address('--listen', String(o.listen)),
        to: address('--to', String(o.to)),
        forward,
        seed: positive('--seed', String(o.seed), true),
      });
      io.err(`netsim relaying ${relay.address.host}:${relay.address.port} -> ${String(o.to)}\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        if (o.duration !== undefined) setTimeout(stop, positive('--duration', o.duration) * 1000);
      });
      io.out(`${JSON.stringify(relay.stats())}\n`);
      await relay.close();
    });
}
