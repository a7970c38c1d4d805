import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadSiteConfig } from '../src/config/index.js';
import { ConfigError } from '../src/errors/index.js';
import { HARDWARE, scratch, writeSite } from './support/tree.js';

const tmp = scratch('site');
after(tmp.remove);

function expectConfigError(file: string, field: string, reason: RegExp, hardwareDir = HARDWARE): ConfigError {
  try {
    loadSiteConfig(file, { hardwareDir });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.file, file);
    assert.equal(err.field, field);
    assert.match(err.reason, reason);
    assert.equal(err.exitCode, 2);
    assert.ok(!err.message.includes('\n'), 'the message is one line');
    return err;
  }
  assert.fail('loadSiteConfig accepted a bad config');
}

function caseDir(name: string): string {
  const dir = join(tmp.dir, name);
  mkdirSync(dir);
  return dir;
}

describe('site config', () => {
  it('loads the example, resolving the key path and filling device choices from the profile', () => {
    const file = writeSite(caseDir('good'));
    const site = loadSiteConfig(file, { hardwareDir: HARDWARE });
    assert.equal(site.site, 'studio-a');
    assert.equal(site.profile, 'doorway-nvidia');
    assert.equal(site.profileSpec.name, 'doorway-nvidia');
    assert.equal(site.devices.encoder, 'nvenc', 'encoder defaults to the profile');
    assert.equal(site.devices.decoder, 'nvdec');
    assert.equal(site.devices.display.sink, 'kms');
    assert.equal(site.privateKeyPath, join(tmp.dir, 'good', 'private.key'));
  });

  it('resolves a relative key path against the config file', () => {
    const dir = caseDir('relative');
    const file = writeSite(dir, (s) => {
      s.privateKeyPath = 'private.key';
    });
    assert.equal(loadSiteConfig(file, { hardwareDir: HARDWARE }).privateKeyPath, join(dir, 'private.key'));
  });

  it('names a missing field', () => {
    const file = writeSite(caseDir('missing'), (s) => {
      delete (s.peer as Record<string, unknown>).publicKey;
    });
    expectConfigError(file, 'peer.publicKey', /is required/);
  });

  it('names a field of the wrong type', () => {
    const file = writeSite(caseDir('type'), (s) => {
      (s.ports as Record<string, unknown>).media = '47000';
    });
    expectConfigError(file, 'ports.media', /expected number, received string/);
  });

  it('rejects a value out of range and a bad key', () => {
    const range = writeSite(caseDir('range'), (s) => {
      (s.ports as Record<string, unknown>).status = 70000;
    });
    expectConfigError(range, 'ports.status', /65535/);
    const key = writeSite(caseDir('key'), (s) => {
      (s.peer as Record<string, unknown>).publicKey = 'not-a-key';
    });
    expectConfigError(key, 'peer.publicKey', /32-byte key/);
  });

  it('rejects a bitrate floor above its ceiling', () => {
    const file = writeSite(caseDir('bitrate'), (s) => {
      s.bitrate = { videoMinKbps: 9000, videoMaxKbps: 8000, audioKbps: 128 };
    });
    expectConfigError(file, 'bitrate.videoMinKbps', /must not exceed/);
  });

  it('names an unknown profile and lists the known ones', () => {
    const file = writeSite(caseDir('profile'), (s) => {
      s.profile = 'doorway-amd';
    });
    expectConfigError(
      file,
      'profile',
      /unknown profile 'doorway-amd'; known profiles: ci, dev, doorway-nvidia/,
    );
  });

  it('names an unreadable key path: missing file, and a directory', () => {
    const missing = writeSite(caseDir('nokey'), (s) => {
      s.privateKeyPath = '/nonexistent/doorway/private.key';
    });
    expectConfigError(
      missing,
      'privateKeyPath',
      /cannot read \/nonexistent\/doorway\/private.key: no such file/,
    );
    const dir = caseDir('dirkey');
    const isDir = writeSite(dir, (s) => {
      s.privateKeyPath = dir;
    });
    expectConfigError(isDir, 'privateKeyPath', /is not a regular file/);
  });

  it('names an unknown field instead of ignoring it', () => {
    const file = writeSite(caseDir('extra'), (s) => {
      (s.devices as Record<string, unknown>).projector = 'on';
    });
    expectConfigError(file, 'devices.projector', /unknown field/);
  });

  it('rejects a device choice whose feature the profile lacks, naming profiles that have it', () => {
    const file = writeSite(caseDir('feature'), (s) => {
      s.profile = 'dev';
      (s.devices as Record<string, unknown>).encoder = 'nvenc';
      (s.devices as Record<string, unknown>).display = { fullscreen: false };
    });
    expectConfigError(
      file,
      'devices.encoder',
      /'nvenc' needs feature 'nvenc', which profile 'dev' lacks; profiles that have it: ci, doorway-nvidia/,
    );
  });

  it('names an unknown feature in the profile the site uses', () => {
    const dir = caseDir('badprofile');
    const hardware = join(dir, 'hardware');
    mkdirSync(join(hardware, 'profiles'), { recursive: true });
    writeFileSync(
      join(hardware, 'profiles', 'odd.json'),
      JSON.stringify({
        name: 'odd',
        description: 'has a feature nobody builds',
        features: ['x264', 'hologram'],
        defaults: { camera: 'synthetic', encoder: 'x264', decoder: 'software', display: 'headless' },
      }),
    );
    const file = writeSite(dir, (s) => {
      s.profile = 'odd';
    });
    try {
      loadSiteConfig(file, { hardwareDir: hardware });
      assert.fail('accepted a profile with an unknown feature');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.file, join(hardware, 'profiles', 'odd.json'));
      assert.equal(err.field, 'features[1]');
      assert.match(err.reason, /expected one of "v4l2"\|"cuda"/);
    }
  });

  it('names a file that is not JSON, and one that does not exist', () => {
    const dir = caseDir('json');
    const file = join(dir, 'site.json');
    writeFileSync(file, '{ "site": ');
    expectConfigError(file, '', /not valid JSON/);
    expectConfigError(join(dir, 'absent.json'), '', /cannot read: no such file/);
  });
});
