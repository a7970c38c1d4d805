/**
 * `doorway audio-test`: plays a tone (or a WAV) through the speaker and records the microphone,
 * then prints what it heard: levels, blocks, xruns and the device latencies. For the person
 * installing a site, and for machines without a sound card with `--source` (the clocked port).
 */
import type { Command } from 'commander';
import { UsageError } from '../errors/index.js';
import { loadAudioAddon } from '../tools/sender.js';
import type { CliIo } from './index.js';

export function registerAudioTestCommand(program: Command, io: CliIo): void {
  program
    .command('audio-test')
    .description('play a tone through the speaker, record the microphone, and report what was heard')
    .option('--capture <name>', 'PortAudio capture device (a unique part of its name), or default', 'default')
    .option('--playback <name>', 'PortAudio playback device, or default', 'default')
    .option(
      '--source <source>',
      'no sound card: the clocked port with this microphone (tone, speech, markers, file:PATH)',
    )
    .option('--seconds <s>', 'how long to play and record', '3')
    .option('--play <file.wav>', 'play this 48 kHz WAV instead of a 1 kHz tone')
    .option('--record <file.wav>', 'write what the microphone captured here')
    .action(async (o: Record<string, string | undefined>) => {
      const seconds = Number(o.seconds);
      if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) {
        throw new UsageError(`--seconds '${String(o.seconds)}' must be a number of seconds up to 600`);
      }
      const result = await loadAudioAddon().runAudioTest({
        ...(o.source === undefined
          ? { port: 'portaudio', capture: String(o.capture), playback: String(o.playback) }
          : { port: 'clocked', source: o.source }),
        seconds,
        ...(o.play === undefined ? {} : { playFile: o.play }),
        ...(o.record === undefined ? {} : { recordFile: o.record }),
      });
      io.out(`${JSON.stringify(result, null, 2)}\n`);
    });
}
