/**
 * `make install` into a scratch DESTDIR: the tree it lays out, the launcher running the installed
 * copy, the refusal of a profile that was not built, and an upgrade that keeps the site's
 * configuration and keys byte for byte.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HARDWARE, readJson, REPO, scratch } from './support/tree.js';

const builtProfile = String(readJson(join(REPO, 'build', 'manifest.json')).profile);

function install(destdir: string, profile = builtProfile): SpawnSyncReturns<string> {
  return spawnSync(
    'make',
    ['-s', '--no-print-directory', 'install', `DESTDIR=${destdir}`, `PROFILE=${profile}`],
    {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
}

function mode(path: string): number {
  return statSync(path).mode & 0o7777;
}

/** The installed launcher, from elsewhere, with a DOORWAY_HOME that would mislead a careless one. */
function runInstalled(destdir: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(join(destdir, 'opt', 'doorway', 'bin', 'doorway'), args, {
    cwd: '/',
    encoding: 'utf8',
    env: { ...process.env, DOORWAY_HOME: '/nonexistent-doorway-home', DOORWAY_MANIFEST: '' },
    timeout: 60_000,
  });
}

describe('make install', () => {
  const tmp = scratch('install');
  const destdir = join(tmp.dir, 'root');
  const app = join(destdir, 'opt', 'doorway');
  const etc = join(destdir, 'etc', 'doorway');
  let first: SpawnSyncReturns<string>;

  before(() => {
    first = install(destdir);
  });
  after(() => {
    tmp.remove();
  });

  it('succeeds for the profile that was built', () => {
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`installed doorway \\(profile ${builtProfile}\\)`));
  });

  it('lays out the program, its production dependencies and the built addons', () => {
    for (const file of [
      'dist/bin/doorway.js',
      'dist/src/paths/index.js',
      'dist/src/systemd/index.js',
      'hardware/features.json',
      'hardware/sites/example.json',
      'package.json',
      'node_modules/zod/package.json',
      'node_modules/ffi-rs/package.json',
    ]) {
      assert.ok(existsSync(join(app, file)), `${file} is installed`);
    }
    assert.ok(!existsSync(join(app, 'dist', 'test')), 'compiled tests stay behind');
    // devDependencies are pruned: present in the source tree, absent from the installed one.
    for (const dev of ['typescript', 'eslint', 'c8']) {
      assert.ok(existsSync(join(REPO, 'node_modules', dev)), `${dev} is in the source tree`);
      assert.ok(!existsSync(join(app, 'node_modules', dev)), `${dev} is not installed`);
    }
    const manifest = readJson(join(app, 'build', 'manifest.json'));
    assert.equal(manifest.profile, builtProfile);
    const addons = Object.values(manifest.addons as Record<string, { file: string }>);
    assert.ok(addons.length > 0);
    for (const { file } of addons) {
      assert.ok(!file.startsWith('/'));
      assert.deepEqual(
        readFileSync(join(app, file)),
        readFileSync(join(REPO, file)),
        `${file} at its relative path`,
      );
    }
    assert.deepEqual(
      readdirSync(join(destdir, 'opt')),
      ['doorway'],
      'no staging or old tree is left beside /opt/doorway',
    );
  });

  it('installs an executable launcher that runs the installed tree', () => {
    assert.equal(mode(join(app, 'bin', 'doorway')), 0o755);
    const version = runInstalled(destdir, ['version']);
    assert.equal(version.status, 0, version.stderr);
    assert.match(version.stdout, new RegExp(`^profile: ${builtProfile}$`, 'm'));
    // The video addon loaded from the installed copy: no "build: <error>" line in its place.
    assert.match(version.stdout, /^libavcodec: /m);
    assert.doesNotMatch(version.stdout, /^build: /m);
  });

  it('creates /etc/doorway with the example site and a keys folder only root can enter', () => {
    assert.deepEqual(
      readFileSync(join(etc, 'site.json')),
      readFileSync(join(HARDWARE, 'sites', 'example.json')),
    );
    assert.equal(mode(join(etc, 'site.json')), 0o644);
    assert.ok(statSync(join(etc, 'keys')).isDirectory());
    assert.equal(mode(join(etc, 'keys')), 0o700);
  });

  it('installs the units and the udev rule', () => {
    for (const unit of [
      'doorway.target',
      'doorway-video.service',
      'doorway-audio.service',
      'doorway-provision.service',
    ]) {
      const file = join(destdir, 'lib', 'systemd', 'system', unit);
      assert.deepEqual(readFileSync(file), readFileSync(join(REPO, 'systemd', unit)));
      assert.equal(mode(file), 0o644);
    }
    const rule = join(destdir, 'lib', 'udev', 'rules.d', '99-doorway-camera.rules');
    assert.deepEqual(
      readFileSync(rule),
      readFileSync(join(REPO, 'systemd', 'udev', '99-doorway-camera.rules')),
    );
  });

  it('upgrades in place: a new /opt/doorway, the site config and keys byte-identical', () => {
    const site = join(etc, 'site.json');
    const key = join(etc, 'keys', 'private.key');
    const siteBytes = Buffer.from(`${readFileSync(site, 'utf8').replace('studio-a', 'lobby-east')}\n`);
    writeFileSync(site, siteBytes);
    const keyBytes = Buffer.from(`${Buffer.alloc(32, 9).toString('base64')}\n`);
    writeFileSync(key, keyBytes, { mode: 0o600 });
    // A file only the old tree has: the upgrade must replace the tree, not copy over it.
    writeFileSync(join(app, 'left-from-old-version'), 'old');

    const second = install(destdir);
    assert.equal(second.status, 0, second.stderr);
    assert.deepEqual(readFileSync(site), siteBytes);
    assert.deepEqual(readFileSync(key), keyBytes);
    assert.equal(mode(key), 0o600);
    assert.equal(mode(join(etc, 'keys')), 0o700);
    assert.ok(!existsSync(join(app, 'left-from-old-version')), 'the old tree is gone');
    assert.deepEqual(readdirSync(join(destdir, 'opt')), ['doorway']);
    const version = runInstalled(destdir, ['version']);
    assert.equal(version.status, 0, version.stderr);
    assert.match(version.stdout, new RegExp(`^profile: ${builtProfile}$`, 'm'));
  });
});

describe('make install refuses a profile that was not built', () => {
  const other = readdirSync(join(HARDWARE, 'profiles'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .find((name) => name !== builtProfile);

  it('in one line, writing nothing', (t) => {
    if (other === undefined) {
      t.skip('hardware/profiles has no profile besides the built one');
      return;
    }
    const tmp = scratch('install-refused');
    try {
      const destdir = join(tmp.dir, 'root');
      const direct = spawnSync('bash', [join(REPO, 'scripts', 'install.sh')], {
        cwd: REPO,
        encoding: 'utf8',
        env: { ...process.env, DESTDIR: destdir, PROFILE: other },
      });
      assert.notEqual(direct.status, 0);
      assert.equal(
        direct.stderr,
        `doorway: install: profile '${other}' was not built (build/manifest.json is for '${builtProfile}'); run: make build PROFILE=${other}\n`,
      );
      const viaMake = install(destdir, other);
      assert.notEqual(viaMake.status, 0);
      assert.match(viaMake.stderr, /^doorway: install: profile '.*' was not built/m);
      assert.ok(!existsSync(destdir), 'nothing is written under DESTDIR');
    } finally {
      tmp.remove();
    }
  });
});
