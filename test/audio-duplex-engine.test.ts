/**
 * One sound port shared by a send and a receive pipeline: both see every block, each side comes
 * and goes on its own while the port keeps running, the last to leave closes it, and wiring
 * mistakes are named.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AudioReceivePipeline,
  AudioSendPipeline,
  DuplexAudioEngine,
  DuplexAudioError,
} from '../src/audio/index.js';
import { MediaError } from '../src/errors/index.js';
import { loadAudio } from './support/audio-addon.js';
import { until } from './support/video.js';

const addon = loadAudio();

function duplex(source = 'speech'): DuplexAudioEngine {
  return new DuplexAudioEngine({
    addon,
    port: { port: 'clocked', source, sink: 'null' },
    codec: 'opus',
    bitrateBps: 96_000,
    blockFrames: 240,
    echoCancel: false,
  });
}

describe('a duplex audio engine', () => {
  it('plays what the receive side is given while the send side encodes the microphone', async () => {
    const engine = duplex();
    let sent = 0;
    // The microphone's packets go straight to the speaker: a loop through one port.
    const receive = new AudioReceivePipeline({ duplex: engine, clock: () => Date.now() * 1000 });
    const send = new AudioSendPipeline({
      duplex: engine,
      onPacket: (packet, captureUs, seq) => {
        sent++;
        receive.accept(seq, captureUs, packet);
      },
    });
    assert.equal(engine.openings, 1, 'both sides on one native engine');
    send.start();
    receive.start();
    try {
      await until('the loop plays', () => receive.stats().jitter.playedMs >= 300);
      const stats = receive.stats();
      assert.ok(sent >= 60, `${sent} packets sent`);
      // A receive-only engine never encodes: these blocks are the send side's, on the same engine.
      assert.ok(stats.engine.encodedBlocks > 0, 'one engine behind both');
      assert.ok(stats.engine.playedBlocks > 0);
    } finally {
      send.stop();
      receive.close();
    }
    assert.equal(engine.open, false, 'the last side to leave closes the port');
  });

  it('keeps the port running while one side is rebuilt, and reopens only after both left', async () => {
    const engine = duplex();
    let sent = 0;
    let blocks = 0;
    const receive = new AudioReceivePipeline({ duplex: engine, clock: () => Date.now() * 1000 });
    const count = (): void => {
      sent++;
    };
    let send = new AudioSendPipeline({ duplex: engine, onPacket: count });
    receive.start();
    send.start();
    await until('packets', () => sent >= 20);
    send.stop();
    assert.equal(engine.open, true, 'the receive side still holds the port');
    const played = receive.stats().engine.playedBlocks;
    await until(
      'blocks played with the send side gone',
      () => receive.stats().engine.playedBlocks >= played + 20,
    );
    send = new AudioSendPipeline({
      duplex: engine,
      onPacket: () => {
        blocks++;
      },
    });
    send.start();
    await until('the new send side gets packets', () => blocks >= 20);
    assert.equal(engine.openings, 1, 'the port was never reopened');
    send.stop();
    receive.close();
    assert.equal(engine.open, false);
    const again = new AudioSendPipeline({ duplex: engine, onPacket: count });
    assert.equal(engine.openings, 2, 'both sides left: the next one opens it afresh');
    again.stop();
  });

  it('names a side attached twice or started unattached', () => {
    const engine = duplex();
    assert.throws(
      () => {
        engine.start('send');
      },
      (err: unknown) =>
        err instanceof DuplexAudioError && err.message.includes('send side started without being attached'),
    );
    const send = new AudioSendPipeline({ duplex: engine, onPacket: () => undefined });
    try {
      assert.throws(
        () => new AudioSendPipeline({ duplex: engine, onPacket: () => undefined }),
        (err: unknown) =>
          err instanceof DuplexAudioError && /send side .* already attached/.test(err.message),
      );
      assert.equal(engine.openings, 1, 'the refused side opened nothing');
    } finally {
      send.stop();
    }
  });

  it('reports a port that cannot start in one line and closes it when the side leaves', () => {
    const engine = duplex('file:/nonexistent/doorway-room.wav');
    const send = new AudioSendPipeline({ duplex: engine, onPacket: () => undefined });
    assert.throws(
      () => {
        send.start();
      },
      (err: unknown) =>
        err instanceof MediaError && !err.message.includes('\n') && err.message.includes('doorway-room.wav'),
    );
    send.stop();
    assert.equal(engine.open, false);
  });
});
