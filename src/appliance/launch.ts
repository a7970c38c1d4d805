/**
 * From a site file to a running role: load and check the config (the key's permissions too),
 * plan the role, make the handshake-state directory, and start the service. What `doorway run`
 * does before it waits, and what tests do to run a site in-process.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadSiteConfig, type SiteConfig } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import { checkPrivateKeyFile } from '../keys/index.js';
import type { Logger } from '../log/index.js';
import type { AudioAddon, VideoAddon } from '../media/index.js';
import { decodeKey } from '../noise/index.js';
import type { RoleName } from '../ops/index.js';
import type { RepairCoder } from '../protocol/index.js';
import type { SessionTimings } from '../session/index.js';
import type { LinkKeys } from './link.js';
import { planRole } from './plan.js';
import { DoorwayService, type ServiceNotifier } from './service.js';

/**
 * An appliance has one peer and must be back the moment the network is: handshake retries back
 * off to 1 s, not 8 s, so after a long cut the next attempt is never more than ~1.2 s away.
 */
export const APPLIANCE_TIMINGS: Partial<SessionTimings> = { handshakeRetryCapUs: 1_000_000 };

export interface LaunchOptions {
  readonly siteFile: string;
  readonly role: RoleName;
  readonly hardwareDir: string;
  /** Where handshake counters persist. */
  readonly stateDir: string;
  readonly listenHost?: string;
  /** Loopback address of the metrics and status endpoints; null: none. */
  readonly opsHost: string | null;
  /** systemd's credentials directory: its `private.key` replaces the site's `privateKeyPath`. */
  readonly credentialsDir?: string;
  readonly notifier: ServiceNotifier;
  readonly log: Logger;
  readonly repair: RepairCoder;
  readonly timings?: Partial<SessionTimings>;
  readonly videoAddon: () => VideoAddon;
  readonly audioAddon: () => AudioAddon;
  /** Called with the loaded site before anything opens (the CLI picks the display driver here). */
  readonly onSite?: (site: SiteConfig) => void;
}

/**
 * The site's keys as the service uses them. Refuses a key others can read, naming the file: the
 * daemon never runs on a leaked key.
 */
export function loadSiteKeys(site: SiteConfig): Omit<LinkKeys, 'stateDir'> {
  return {
    staticPrivate: checkPrivateKeyFile(site.privateKeyPath),
    peerPublic: decodeKey(site.peer.publicKey, 'peer.publicKey'),
    ...(site.presharedKeyPath === undefined ? {} : { psk: checkPrivateKeyFile(site.presharedKeyPath) }),
  };
}

export async function launchRole(
  options: LaunchOptions,
): Promise<{ site: SiteConfig; service: DoorwayService }> {
  const credentialKey =
    options.credentialsDir === undefined ? undefined : join(options.credentialsDir, 'private.key');
  const site = loadSiteConfig(options.siteFile, {
    hardwareDir: options.hardwareDir,
    ...(credentialKey !== undefined && existsSync(credentialKey) ? { privateKeyPath: credentialKey } : {}),
  });
  options.onSite?.(site);
  const plan = planRole(
    site,
    options.role,
    options.listenHost === undefined ? {} : { listenHost: options.listenHost },
  );
  const stateDir = resolve(options.stateDir);
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new ConfigError(
      stateDir,
      'state directory',
      `cannot create it: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const opsHost = options.opsHost;
  const service = await DoorwayService.start({
    plan,
    keys: { ...loadSiteKeys(site), stateDir },
    log: options.log,
    notifier: options.notifier,
    opsHost,
    // The video role's page also shows the audio role, which serves its JSON one port up.
    otherRoles:
      options.role === 'video' && opsHost !== null
        ? [{ role: 'audio', url: `http://${opsHost}:${site.ports.metrics + 1}/status.json` }]
        : [],
    // The audio role's lip sync reads the pictures' latency from the video role, on the same host.
    ...(options.role === 'audio' && opsHost !== null
      ? { videoStatusUrl: `http://${opsHost}:${site.ports.metrics}/status.json` }
      : {}),
    repair: options.repair,
    timings: { ...APPLIANCE_TIMINGS, ...options.timings },
    videoAddon: options.videoAddon,
    audioAddon: options.audioAddon,
  });
  return { site, service };
}
