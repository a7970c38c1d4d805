/**
 * Provisioning an appliance from its boot partition's site/ folder: the key pair on first boot,
 * files imported once per change (a change made on the machine is kept), bad drops reported and
 * the rest still applied.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { publicKeyOfFile, setPeerKey, writeKeyPair } from '../src/keys/index.js';
import { provisionSite } from '../src/provision/index.js';
import { HARDWARE, readJson, scratch, writeJson } from './support/tree.js';

const tmp = scratch('provision');
after(tmp.remove);

const etcDir = join(tmp.dir, 'etc-doorway');
const dropDir = join(tmp.dir, 'efi-site');
const networkDir = join(tmp.dir, 'network');
mkdirSync(networkDir);
const options = { dropDir, etcDir, networkDir, hardwareDir: HARDWARE };
const peerA = writeKeyPair(join(tmp.dir, 'peer-a')).publicKey;
const peerB = writeKeyPair(join(tmp.dir, 'peer-b')).publicKey;

function dropSite(edit: (site: Record<string, unknown>) => void = () => undefined): void {
  const site = readJson(join(HARDWARE, 'sites', 'example.json'));
  site.privateKeyPath = join(etcDir, 'keys', 'private.key');
  site.profile = 'ci';
  site.devices = {
    camera: { source: 'synthetic', width: 640, height: 360, fps: 30 },
    display: { sink: 'headless', fullscreen: false },
    audio: { capture: 'synthetic', playback: 'null' },
  };
  edit(site);
  mkdirSync(dropDir, { recursive: true });
  writeJson(join(dropDir, 'site.json'), site);
}

it('first boot with no drop folder: makes the key pair and says what it waits for', () => {
  const report = provisionSite(options);
  assert.equal(report.keyCreated, true);
  assert.deepEqual(report.imported, []);
  assert.equal(report.publicKey, publicKeyOfFile(join(etcDir, 'keys', 'private.key')));
  assert.equal(readFileSync(join(etcDir, 'public.key'), 'utf8').trim(), report.publicKey);
  assert.equal(statSync(join(etcDir, 'keys')).mode & 0o777, 0o700);
  assert.equal(statSync(join(etcDir, 'keys', 'private.key')).mode & 0o777, 0o600);
  assert.equal(statSync(join(etcDir, 'public.key')).mode & 0o777, 0o644);
  assert.match(report.siteProblem ?? '', /site\.json: no site config yet; put site\.json in .*efi-site/);
});

it('imports site.json once and keeps the key pair across boots', () => {
  const first = provisionSite(options).publicKey;
  dropSite();
  const report = provisionSite(options);
  assert.deepEqual(report.imported, ['site.json']);
  assert.equal(report.keyCreated, false);
  assert.equal(report.publicKey, first);
  assert.equal(report.siteProblem, null);
  assert.deepEqual(provisionSite(options).imported, []);
});

it('keeps a change made on the machine until the drop file itself changes', () => {
  const siteFile = join(etcDir, 'site.json');
  setPeerKey(siteFile, peerA, HARDWARE);
  assert.deepEqual(provisionSite(options).imported, []);
  assert.equal((readJson(siteFile).peer as { publicKey: string }).publicKey, peerA);
  dropSite((site) => {
    site.site = 'studio-c';
  });
  assert.deepEqual(provisionSite(options).imported, ['site.json']);
  assert.equal(readJson(siteFile).site, 'studio-c');
});

it("pins the peer's key from peer.key, and reports a bad one without stopping the rest", () => {
  writeFileSync(join(dropDir, 'peer.key'), `${peerB}\n`);
  let report = provisionSite(options);
  assert.deepEqual(report.imported, ['peer.key']);
  assert.equal((readJson(join(etcDir, 'site.json')).peer as { publicKey: string }).publicKey, peerB);

  writeFileSync(join(dropDir, 'peer.key'), 'not a key\n');
  mkdirSync(join(dropDir, 'network'));
  writeFileSync(join(dropDir, 'network', '10-site.network'), '[Match]\nName=eth0\n');
  writeFileSync(join(dropDir, 'network', 'evil name.conf'), 'x');
  report = provisionSite(options);
  assert.deepEqual(report.imported, ['network/10-site.network']);
  assert.equal(report.rejected.length, 2);
  assert.match(report.rejected.join('\n'), /peer\.key: expected a 32-byte key/);
  assert.match(report.rejected.join('\n'), /evil name\.conf: not a systemd-networkd file name/);
  assert.equal(readFileSync(join(networkDir, '10-site.network'), 'utf8'), '[Match]\nName=eth0\n');
  // The bad key is tried again next boot (it was not recorded); the good files are not.
  assert.deepEqual(provisionSite(options).imported, []);
  assert.equal(provisionSite(options).rejected.length, 2);
});

it('copies an invalid site.json and names the field, so the roles can show it', () => {
  dropSite((site) => {
    site.site = 'Not Lower Case';
  });
  const report = provisionSite(options);
  assert.ok(report.imported.includes('site.json'));
  assert.match(report.siteProblem ?? '', /site\.json: site: lower-case letters, digits and dashes/);
  assert.ok(existsSync(join(etcDir, 'site.json')));
});
