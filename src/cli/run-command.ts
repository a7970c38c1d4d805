/**
 * `doorway run --site FILE [--role video|audio]`: the appliance. With a role, one part of the
 * doorway as its own long-running service (what the systemd units start); without one, the whole
 * doorway in one foreground process, for development. Both directions of each stream flow.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { launchRole, waitForValidSite, type LaunchOptions } from '../appliance/index.js';
import { raiseAudioProcessPriority } from '../audio/index.js';
import { loadSiteConfig } from '../config/index.js';
import { ConfigError, ServiceError, UsageError } from '../errors/index.js';
import { publicKeyOfFile } from '../keys/index.js';
import { createLogRoot } from '../log/index.js';
import type { RoleName } from '../ops/index.js';
import { hardwareDir } from '../paths/index.js';
import { SystemdNotifier } from '../systemd/index.js';
import { transportRepair } from '../tools/repair.js';
import { loadAudioAddon, loadVideoAddon } from '../tools/sender.js';
import { warmUpTransport } from '../tools/warm-up.js';
import type { CliIo } from './index.js';

const ROLES = ['video', 'audio'] as const;

function roleFrom(text: string | undefined): RoleName {
  if (text === undefined) return 'all';
  if (text === 'video' || text === 'audio') return text;
  throw new UsageError(`--role '${text}' is not one of ${ROLES.join(', ')}`);
}

export function registerRunCommand(program: Command, io: CliIo, root: string): void {
  program
    .command('run')
    .description('run the doorway for a site: one role as a service, or everything in the foreground')
    .requiredOption('--site <file>', 'the site config (/etc/doorway/site.json on an appliance)')
    .option(
      '--role <role>',
      `one part as its own service: ${ROLES.join(' or ')} (default: all, in one process)`,
    )
    .option(
      '--state-dir <dir>',
      'where handshake counters persist (default: $STATE_DIRECTORY or /var/lib/doorway)',
    )
    .option('--listen-host <host>', 'address the media sockets listen on', '0.0.0.0')
    .option('--ops-host <host>', 'loopback address of the metrics and status endpoints', '127.0.0.1')
    .option('--no-ops', 'serve no metrics or status page')
    .option(
      '--waiting-port <port>',
      'while the site config is missing or invalid: port of the page that says why (video role)',
      '8080',
    )
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const role = roleFrom(typeof o.role === 'string' ? o.role : undefined);
      const log = createLogRoot().component(`run-${role}`);
      // An audio-only process goes first on the CPU, every thread of it (src/audio/priority.ts).
      if (role === 'audio') log.info({ scheduling: raiseAudioProcessPriority() }, 'audio process priority');
      const repair = transportRepair(log);
      warmUpTransport(8e6, repair);
      const notifier = new SystemdNotifier();
      const stateDir =
        typeof o.stateDir === 'string'
          ? o.stateDir
          : (process.env.STATE_DIRECTORY?.split(':')[0] ?? '/var/lib/doorway');
      const siteFile = resolve(String(o.site));
      const credentialsDir = process.env.CREDENTIALS_DIRECTORY;
      const credentialKey = credentialsDir === undefined ? undefined : join(credentialsDir, 'private.key');
      const opsHost = o.ops === false ? null : String(o.opsHost);
      const launch: LaunchOptions = {
        // A `kms` display is SDL on its KMSDRM driver: scan-out with no window system.
        onSite: (config) => {
          if (config.devices.display.sink === 'kms') process.env.SDL_VIDEODRIVER ??= 'kmsdrm';
        },
        siteFile,
        role,
        hardwareDir: hardwareDir(root),
        stateDir,
        listenHost: String(o.listenHost),
        opsHost,
        ...(credentialsDir === undefined ? {} : { credentialsDir }),
        notifier,
        log,
        repair,
        videoAddon: loadVideoAddon,
        audioAddon: loadAudioAddon,
      };
      let launched: Awaited<ReturnType<typeof launchRole>>;
      try {
        launched = await launchRole(launch);
      } catch (err) {
        // Only the site file's own problems are waited out; anything else ends the process.
        if (!(err instanceof ConfigError) || resolve(err.file) !== siteFile) throw err;
        const waitingPort = Number(o.waitingPort);
        await waitForValidSite(err, {
          siteFile,
          role,
          notifier,
          log,
          page:
            role === 'audio' || opsHost === null || !Number.isInteger(waitingPort)
              ? null
              : { host: opsHost, port: waitingPort },
          publicKey: () => sitePublicKey(credentialKey, dirname(siteFile)),
          check: () => {
            loadSiteConfig(siteFile, {
              hardwareDir: launch.hardwareDir,
              ...(credentialKey !== undefined && existsSync(credentialKey)
                ? { privateKeyPath: credentialKey }
                : {}),
            });
          },
        });
        log.info({ siteFile }, 'site config loads now; starting');
        launched = await launchRole(launch);
      }
      const { site, service } = launched;
      io.err(
        `doorway ${role}: ${site.site} ↔ ${site.peer.site}${service.pagePort === null ? '' : `, status page on http://${String(o.opsHost)}:${service.pagePort}/`}\n`,
      );
      const exit = await service.run();
      notifier.close();
      if (exit.code !== 0) throw new ServiceError(`service stopped: ${exit.reason}`);
    });
}

/** The key to pair with: from the service's credential, else the provisioned public.key. */
function sitePublicKey(credentialKey: string | undefined, etcDir: string): string | null {
  try {
    if (credentialKey !== undefined && existsSync(credentialKey)) return publicKeyOfFile(credentialKey);
    const text = readFileSync(join(etcDir, 'public.key'), 'utf8').trim();
    return text === '' ? null : text;
  } catch {
    return null;
  }
}
