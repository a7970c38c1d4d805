/**
 * The `doorway` command. Every failure ends as one line on stderr and a non-zero exit:
 * 2 for bad usage or config, 1 for everything else. No stack traces reach a person.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { loadSiteConfig } from '../config/index.js';
import { formatReport, runDoctor } from '../doctor/index.js';
import { DoorwayError } from '../errors/index.js';
import { VideoAddon } from '../media/index.js';
import { appRoot, hardwareDir, manifestPath } from '../paths/index.js';
import { readManifest } from '../profiles/index.js';
import { registerAudioTestCommand } from './audio-test-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerKeyCommands } from './key-commands.js';
import { registerProvisionCommand } from './provision-command.js';
import { registerRunCommand } from './run-command.js';
import { registerSitePairCommand } from './site-pair-command.js';
import { registerTransportCommands } from './transport-commands.js';

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export function packageVersion(root: string): string {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const root = appRoot();
  const program = new Command('doorway')
    .description('An always-on, life-size video and audio doorway to one paired site')
    .showHelpAfterError('(doorway --help lists the commands)')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();

  program
    .command('version')
    .description('print the version, the built profile and its features')
    .action(() => {
      const lines = [`doorway ${packageVersion(root)}`];
      try {
        const manifest = readManifest(manifestPath(root));
        lines.push(`profile: ${manifest.profile}`, `features: ${manifest.builtFeatures.join(' ') || 'none'}`);
        const video = VideoAddon.load(manifest, root, hardwareDir(root));
        lines.push(`libavcodec: ${video.libavcodec().version}`);
      } catch (err) {
        lines.push(`build: ${err instanceof Error ? err.message : String(err)}`);
      }
      io.out(`${lines.join('\n')}\n`);
    });

  program
    .command('doctor')
    .description('check the build, its native addons, the devices a site needs and whether its peer answers')
    .option('--site <file>', 'site config to check against (devices, profile, keys, peer)')
    .option('--no-peer', 'with --site: skip the handshake with the peer')
    .option('--json', 'print the checks as JSON')
    .action(async (options: { site?: string; peer: boolean; json?: boolean }) => {
      const hw = hardwareDir(root);
      const site = options.site === undefined ? undefined : loadSiteConfig(options.site, { hardwareDir: hw });
      const report = await runDoctor({
        appRoot: root,
        hardwareDir: hw,
        manifestFile: manifestPath(root),
        ...(site === undefined ? {} : { site }),
        peer: options.peer,
      });
      io.out(options.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      if (!report.ok) setExit(1);
    });

  registerTransportCommands(program, io);
  registerAudioTestCommand(program, io);
  registerKeyCommands(program, io, root);
  registerProvisionCommand(program, io, root);
  registerRunCommand(program, io, root);
  registerSitePairCommand(program, io, root, join(root, 'dist', 'bin', 'doorway.js'));
  registerDemoCommand(program, io, join(root, 'dist', 'bin', 'doorway.js'));
  return program;
}

/** Runs the CLI on `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code = 0;
  try {
    const program = buildProgram(io, (c) => {
      code = c;
    });
    if (argv.length === 0) {
      io.out(program.helpInformation());
      return 0;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed its one line (or the help text).
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof DoorwayError) {
      io.err(`doorway: ${err.message}\n`);
      return err.exitCode;
    }
    io.err(`doorway: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
