/**
 * A site's own key pair on disk, the peer's key in the site config, and the checks the daemon
 * makes before it starts: the private key must be readable by its owner alone.
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import QRCode from 'qrcode';
import { loadSiteConfig } from '../config/index.js';
import { DoorwayError } from '../errors/index.js';
import {
  decodeKey,
  encodeKey,
  generateKeyPair,
  loadKeyFile,
  publicKeyFromPrivate,
  type RandomBytes,
} from '../noise/index.js';

/** A key file that is missing, malformed, too open, or in the way. */
export class KeyFileError extends DoorwayError {
  override readonly name = 'KeyFileError';
  readonly exitCode = 2;
  readonly file: string;

  constructor(file: string, reason: string) {
    super(`${file}: ${reason}`);
    this.file = file;
  }
}

export interface WrittenKeys {
  readonly privateKeyFile: string;
  readonly publicKeyFile: string;
  /** The public key as base64, what the peer pins. */
  readonly publicKey: string;
}

export interface WriteKeysOptions {
  /** Replace an existing key pair. */
  readonly force?: boolean;
  readonly randomBytes?: RandomBytes;
}

/** Writes `dir/private.key` (mode 0600) and `dir/public.key`; refuses to overwrite unless forced. */
export function writeKeyPair(dir: string, options: WriteKeysOptions = {}): WrittenKeys {
  const privateKeyFile = join(dir, 'private.key');
  const publicKeyFile = join(dir, 'public.key');
  if (options.force !== true && existsSync(privateKeyFile)) {
    throw new KeyFileError(privateKeyFile, 'exists; refusing to replace a key pair (use --force)');
  }
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new KeyFileError(dir, `cannot create: ${err instanceof Error ? err.message : String(err)}`);
  }
  const pair = generateKeyPair(options.randomBytes ?? ((n) => new Uint8Array(cryptoRandomBytes(n))));
  const publicKey = encodeKey(pair.publicKey);
  writeAtomically(privateKeyFile, `${encodeKey(pair.privateKey)}\n`, 0o600);
  writeAtomically(publicKeyFile, `${publicKey}\n`, 0o644);
  return { privateKeyFile, publicKeyFile, publicKey };
}

/** Write to a temporary file with its final mode, flush, then rename: never a half-written key. */
function writeAtomically(file: string, text: string, mode: number): void {
  const temporary = `${file}.tmp-${process.pid}`;
  try {
    const fd = openSync(temporary, 'w', mode);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  } catch (err) {
    throw new KeyFileError(file, `cannot write: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * The check before the daemon starts: the private key exists, holds a key, and no one but its
 * owner can read or write it. Returns the key.
 */
export function checkPrivateKeyFile(file: string): Uint8Array {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (err) {
    throw new KeyFileError(file, `cannot read: ${err instanceof Error ? err.message : String(err)}`);
  }
  if ((mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(4, '0');
    throw new KeyFileError(
      file,
      `private key is accessible to others (mode ${octal}); run: chmod 600 ${file}`,
    );
  }
  try {
    return loadKeyFile(file);
  } catch (err) {
    throw new KeyFileError(file, err instanceof Error ? err.message.replace(`${file}: `, '') : String(err));
  }
}

/** The public key (base64) that belongs to a private key file. */
export function publicKeyOfFile(privateKeyFile: string): string {
  return encodeKey(publicKeyFromPrivate(checkPrivateKeyFile(privateKeyFile)));
}

/** A peer key given as base64 text, or as the path of a file that holds it. */
export function readPeerKey(argument: string): string {
  const text = existsSync(argument) ? readFileSync(argument, 'utf8') : argument;
  try {
    return encodeKey(decodeKey(text, 'peer key'));
  } catch {
    throw new KeyFileError(
      existsSync(argument) ? argument : 'peer key',
      'expected a 32-byte key as 44 characters of base64, or a file holding one',
    );
  }
}

/** The text drawn as a QR code with terminal block characters. */
export async function terminalQr(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'terminal', small: true, errorCorrectionLevel: 'M' });
}

/**
 * Puts the peer's public key into a site config, keeping every other field, and checks the
 * result loads: a config is never left invalid. Returns the site's name.
 */
export function setPeerKey(siteFile: string, peerKey: string, hardwareDir: string): string {
  const text = readFileSync(siteFile, 'utf8');
  const site = JSON.parse(text) as { peer?: { publicKey?: string } };
  if (typeof site.peer !== 'object')
    throw new KeyFileError(siteFile, 'has no peer section to put the key in');
  site.peer.publicKey = peerKey;
  const temporary = join(dirname(siteFile), `.pair-${process.pid}.json`);
  writeAtomically(temporary, `${JSON.stringify(site, null, 2)}\n`, statSync(siteFile).mode & 0o777);
  try {
    const loaded = loadSiteConfig(temporary, { hardwareDir });
    renameSync(temporary, siteFile);
    return loaded.site;
  } catch (err) {
    unlinkSync(temporary);
    throw err;
  }
}
