/**
 * Provisioning a booted appliance: what an operator dropped into the boot partition's `site/`
 * folder becomes the site's config, and the site gets its own key pair on first boot. Runs as
 * root before the network and the roles (systemd/doorway-provision.service).
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { loadSiteConfig } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import { publicKeyOfFile, readPeerKey, setPeerKey, writeKeyPair } from '../keys/index.js';

export interface ProvisionOptions {
  /** The operator's folder: `site.json`, `peer.key`, `network/*.network`. Absent: nothing to import. */
  readonly dropDir: string;
  /** The site's config folder, `/etc/doorway`: `site.json`, `keys/`, `public.key`. */
  readonly etcDir: string;
  /** Where imported systemd-networkd files go, `/etc/systemd/network`. */
  readonly networkDir: string;
  /** The `hardware/` folder, to check the site config against its profile. */
  readonly hardwareDir: string;
  /** Randomness for a new key pair; default: the operating system's. */
  readonly randomBytes?: (n: number) => Uint8Array;
}

export interface ProvisionReport {
  /** Files copied or applied on this run, as named in the drop folder. */
  readonly imported: readonly string[];
  /** Drop files that could not be used, each with its one-line reason; the rest still apply. */
  readonly rejected: readonly string[];
  /** True on first boot: no key pair existed and one was made. */
  readonly keyCreated: boolean;
  /** This site's public key (base64), also written to `etcDir/public.key`. */
  readonly publicKey: string;
  /** Why the site config cannot run yet (file and field), or null when it loads. */
  readonly siteProblem: string | null;
}

/** What was imported, by drop-folder name and content hash: a file is imported once per change. */
const RECORD = '.provisioned.json';
const NETWORK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*\.network$/;

type Imported = Partial<Record<string, string>>;

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Write to a temporary file with its final mode, flush, then rename: never half a file. */
function writeAtomically(file: string, bytes: Buffer | string, mode: number): void {
  const temporary = `${file}.tmp-${process.pid}`;
  const fd = openSync(temporary, 'w', mode);
  try {
    writeSync(fd, typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(temporary, mode);
  renameSync(temporary, file);
}

function describe(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

function readRecord(etcDir: string): Imported {
  try {
    const parsed: unknown = JSON.parse(readFileSync(join(etcDir, RECORD), 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    // None yet, or damaged: import everything again, which is what a first boot does.
    return {};
  }
}

/**
 * Imports what is new in the drop folder, makes the key pair if there is none, and says whether
 * the site can run. Drop files that are unusable are reported, never thrown; only a failure to
 * write the site's own folder throws (ConfigError naming it).
 */
export function provisionSite(options: ProvisionOptions): ProvisionReport {
  const { dropDir, etcDir, networkDir } = options;
  try {
    mkdirSync(etcDir, { recursive: true, mode: 0o755 });
  } catch (err) {
    throw new ConfigError(etcDir, '', `cannot create the site's config folder: ${describe(err)}`);
  }
  const imported: string[] = [];
  const rejected: string[] = [];
  const record = readRecord(etcDir);
  const siteFile = join(etcDir, 'site.json');

  // The key pair first: the site config names it, and checking the config reads it.
  const keysDir = join(etcDir, 'keys');
  const privateKeyFile = join(keysDir, 'private.key');
  let keyCreated = false;
  if (!existsSync(privateKeyFile)) {
    writeKeyPair(keysDir, options.randomBytes === undefined ? {} : { randomBytes: options.randomBytes });
    keyCreated = true;
  }
  // Root's alone: the roles get the key through systemd's credentials, never from here.
  chmodSync(keysDir, 0o700);
  const publicKey = publicKeyOfFile(privateKeyFile);
  writeAtomically(join(etcDir, 'public.key'), `${publicKey}\n`, 0o644);

  const fresh = (name: string, bytes: Buffer): boolean => record[name] !== sha256(bytes);
  const read = (name: string): Buffer | null => {
    const file = join(dropDir, name);
    if (!existsSync(file)) return null;
    try {
      return readFileSync(file);
    } catch (err) {
      rejected.push(`${file}: ${describe(err)}`);
      return null;
    }
  };

  const site = read('site.json');
  if (site !== null && fresh('site.json', site)) {
    // Copied even when it does not load: the roles then show why, and a fixed file replaces it.
    writeAtomically(siteFile, site, 0o644);
    record['site.json'] = sha256(site);
    imported.push('site.json');
  }

  const peer = read('peer.key');
  if (peer !== null && fresh('peer.key', peer)) {
    try {
      setPeerKey(siteFile, readPeerKey(join(dropDir, 'peer.key')), options.hardwareDir);
      record['peer.key'] = sha256(peer);
      imported.push('peer.key');
    } catch (err) {
      // Not recorded: tried again on the next boot, once the site config it goes into loads.
      rejected.push(`${join(dropDir, 'peer.key')}: ${describe(err)}`);
    }
  }

  const networkDrop = join(dropDir, 'network');
  let networkNames: string[] = [];
  try {
    networkNames = existsSync(networkDrop) ? readdirSync(networkDrop).sort() : [];
  } catch (err) {
    rejected.push(`${networkDrop}: ${describe(err)}`);
  }
  for (const name of networkNames) {
    if (!NETWORK_NAME.test(name)) {
      rejected.push(`${join(networkDrop, name)}: not a systemd-networkd file name (NAME.network)`);
      continue;
    }
    const bytes = read(join('network', name));
    if (bytes === null || !fresh(`network/${name}`, bytes)) continue;
    try {
      writeAtomically(join(networkDir, name), bytes, 0o644);
      record[`network/${name}`] = sha256(bytes);
      imported.push(`network/${name}`);
    } catch (err) {
      rejected.push(`${join(networkDir, name)}: ${describe(err)}`);
    }
  }
  writeAtomically(join(etcDir, RECORD), `${JSON.stringify(record, null, 2)}\n`, 0o644);

  let siteProblem: string | null = null;
  if (!existsSync(siteFile)) {
    siteProblem = `${siteFile}: no site config yet; put site.json in ${dropDir} and reboot, or write it there`;
  } else {
    try {
      loadSiteConfig(siteFile, { hardwareDir: options.hardwareDir });
    } catch (err) {
      siteProblem = describe(err);
    }
  }
  return { imported, rejected, keyCreated, publicKey, siteProblem };
}
