/** `doorway keygen`, `doorway pair`, and the private-key check the daemon makes. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  checkPrivateKeyFile,
  KeyFileError,
  publicKeyOfFile,
  readPeerKey,
  writeKeyPair,
} from '../src/keys/index.js';
import { CLI, readJson, scratch, writeSite } from './support/tree.js';

const tmp = scratch('keys');
after(tmp.remove);

function doorway(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('site keys', () => {
  it('keygen writes a 0600 private key and the matching public key, and prints it', () => {
    const dir = join(tmp.dir, 'a');
    const r = doorway('keygen', '--out', dir);
    assert.equal(r.status, 0, r.stderr);
    const printed = r.stdout.trim();
    assert.match(printed, /^[A-Za-z0-9+/]{43}=$/);
    assert.equal(statSync(join(dir, 'private.key')).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(dir, 'public.key'), 'utf8').trim(), printed);
    assert.equal(publicKeyOfFile(join(dir, 'private.key')), printed);
  });

  it('keygen refuses to replace a key pair unless forced', () => {
    const dir = join(tmp.dir, 'b');
    const first = writeKeyPair(dir);
    const again = doorway('keygen', '--out', dir);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /private\.key: exists; refusing to replace a key pair \(use --force\)\n$/);
    assert.equal(readFileSync(first.publicKeyFile, 'utf8').trim(), first.publicKey, 'the old pair is kept');
    const forced = writeKeyPair(dir, { force: true });
    assert.notEqual(forced.publicKey, first.publicKey);
  });

  it('refuses a private key that others can read, naming the file', () => {
    const dir = join(tmp.dir, 'c');
    const keys = writeKeyPair(dir);
    chmodSync(keys.privateKeyFile, 0o644);
    assert.throws(
      () => checkPrivateKeyFile(keys.privateKeyFile),
      (err: unknown) =>
        err instanceof KeyFileError &&
        err.file === keys.privateKeyFile &&
        err.message.includes('accessible to others (mode 0644)') &&
        err.message.includes(`chmod 600 ${keys.privateKeyFile}`),
    );
    chmodSync(keys.privateKeyFile, 0o600);
    assert.equal(checkPrivateKeyFile(keys.privateKeyFile).length, 32);
  });

  it('reads a peer key as text or from a file, and rejects anything else', () => {
    const keys = writeKeyPair(join(tmp.dir, 'd'));
    assert.equal(readPeerKey(keys.publicKey), keys.publicKey);
    assert.equal(readPeerKey(keys.publicKeyFile), keys.publicKey);
    assert.throws(() => readPeerKey('not-a-key'), KeyFileError);
  });

  it('pair shows the public key with a QR code and pins the peer key in the site config', () => {
    const dir = join(tmp.dir, 'e');
    mkdirSync(dir);
    const site = writeSite(dir);
    const peer = writeKeyPair(join(tmp.dir, 'peer'));
    const r = doorway('pair', '--site', site, '--peer-key', peer.publicKeyFile);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^public key of studio-a: [A-Za-z0-9+/]{43}=\n/);
    assert.match(r.stdout, /[▀▄█]/, 'a QR code drawn in block characters');
    assert.match(r.stdout, new RegExp(`pinned studio-b's key ${peer.publicKey.replace(/[+/]/g, '\\$&')}`));
    const written = readJson(site) as { peer: { publicKey: string }; ports: unknown };
    assert.equal(written.peer.publicKey, peer.publicKey);
    assert.deepEqual(written.ports, { media: 47000, metrics: 9464, status: 8080 }, 'other fields kept');
  });

  it('pair rejects a bad peer key in one line and leaves the config alone', () => {
    const dir = join(tmp.dir, 'f');
    mkdirSync(dir);
    const site = writeSite(dir);
    const before = readFileSync(site, 'utf8');
    const r = doorway('pair', '--site', site, '--peer-key', 'zzz', '--no-qr');
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1);
    assert.match(r.stderr, /peer key: expected a 32-byte key/);
    assert.equal(readFileSync(site, 'utf8'), before);
  });
});
