/** `doorway site-pair`: two full sites on loopback, what `make demo` runs (src/tools/site-pair.ts). */
import type { Command } from 'commander';
import { UsageError } from '../errors/index.js';
import { manifestPath } from '../paths/index.js';
import { readManifest } from '../profiles/index.js';
import { loadAudioAddon } from '../tools/sender.js';
import { runSitePair } from '../tools/site-pair.js';
import type { CliIo } from './index.js';

export function registerSitePairCommand(program: Command, io: CliIo, root: string, cli: string): void {
  program
    .command('site-pair')
    .description('run two full doorway sites on loopback (both directions, each role its own process)')
    .option('--out <dir>', 'where the sites, their keys and what each heard go', 'demo-output')
    .option('--duration <s>', 'seconds to run', '20')
    .action(async (o: Record<string, string>) => {
      const durationS = Number(o.duration);
      if (!(durationS > 0))
        throw new UsageError(`--duration '${String(o.duration)}' must be a positive number`);
      const result = await runSitePair({
        cli,
        dir: String(o.out),
        profile: readManifest(manifestPath(root)).profile,
        durationS,
        spectrogram: (wav) => loadAudioAddon().spectrogram(wav),
        tty: process.stderr.isTTY,
        status: (line, replace) => {
          io.err(replace ? `\r\x1b[2K${line}` : `${line}\n`);
        },
      });
      io.out(`\n${result.summary}\n`);
    });
}
