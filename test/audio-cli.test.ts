/**
 * `doorway audio-test` and the audio flags of send/recv: a run on the clocked port reports what
 * it heard, a missing device or a bad flag is one line naming it, and nothing prints a stack.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { parseAudioSink, parseAudioSource, AudioSpecError } from '../src/audio/spec.js';
import { CLI } from './support/tree.js';

function doorway(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('doorway audio-test', () => {
  it('plays and records for the time asked and reports the level it heard', () => {
    const r = doorway(['audio-test', '--source', 'tone', '--seconds', '1']);
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as {
      capture: { blocks: number; peakDbfs: number };
      playback: { blocks: number };
      describe: string;
    };
    assert.ok(Math.abs(result.capture.blocks - 100) <= 3, `${result.capture.blocks} blocks`);
    // The tone is generated at −12 dBFS.
    assert.ok(Math.abs(result.capture.peakDbfs + 12) < 0.5, `peak ${result.capture.peakDbfs} dBFS`);
    assert.match(result.describe, /clocked port \(source tone/);
  });

  it('names a capture device that does not exist, in one line', () => {
    const r = doorway(['audio-test', '--capture', 'no-such-microphone', '--seconds', '1']);
    assert.equal(r.status, 1);
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('doorway:'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] ?? '', /audio device "no-such-microphone": no such capture device/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('refuses a bad --audio on send with the flag named', () => {
    const r = doorway(['send', '--insecure', '--to', '127.0.0.1:9', '--audio', 'microphone']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--audio 'microphone' is not one of device/);
  });
});

describe('audio source and sink specs', () => {
  it('parses each form', () => {
    assert.deepEqual(parseAudioSource('device'), { port: 'portaudio', capture: 'default' });
    assert.deepEqual(parseAudioSource('device:USB'), { port: 'portaudio', capture: 'USB' });
    assert.deepEqual(parseAudioSource('synthetic'), { port: 'clocked', source: 'speech' });
    assert.deepEqual(parseAudioSource('synthetic:markers'), {
      port: 'clocked',
      source: 'markers',
      markers: true,
    });
    assert.deepEqual(parseAudioSource('file:a.wav'), { port: 'clocked', source: 'file:a.wav' });
    assert.deepEqual(parseAudioSink('device:HDMI'), { port: 'portaudio', playback: 'HDMI' });
    assert.deepEqual(parseAudioSink('null'), {
      port: 'clocked',
      source: 'silence',
      sink: 'null',
      markers: true,
    });
    assert.deepEqual(parseAudioSink('file:o.wav'), {
      port: 'clocked',
      source: 'silence',
      sink: 'file:o.wav',
      markers: true,
    });
  });

  it('refuses anything else with AudioSpecError naming the flag', () => {
    assert.throws(() => parseAudioSource('synthetic:music'), AudioSpecError);
    assert.throws(() => parseAudioSource('file:'), /--audio 'file:'/);
    assert.throws(() => parseAudioSink('speaker'), /--audio-sink 'speaker'/);
  });
});
