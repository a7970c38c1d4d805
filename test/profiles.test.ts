import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, FeatureUnavailableError } from '../src/errors/index.js';
import {
  addonsFor,
  cmakeFeatureOptions,
  FEATURES,
  listProfiles,
  loadFeatureTable,
  loadProfile,
  manifestFor,
  profilesWithFeature,
  requireFeature,
} from '../src/profiles/index.js';
import { copyHardware, HARDWARE, readJson, scratch, writeJson } from './support/tree.js';

const tmp = scratch('profiles');
after(tmp.remove);

describe('hardware profiles', () => {
  it('ships dev, ci and doorway-nvidia, each valid', () => {
    assert.deepEqual(listProfiles(HARDWARE), ['ci', 'dev', 'doorway-nvidia']);
    for (const name of listProfiles(HARDWARE)) assert.equal(loadProfile(HARDWARE, name).name, name);
  });

  it('gives the appliance profile the NVIDIA features and dev only software ones', () => {
    const nvidia = loadProfile(HARDWARE, 'doorway-nvidia').features;
    for (const f of ['v4l2', 'cuda', 'nvenc', 'nvdec', 'kms', 'audio-io', 'apm', 'opus'] as const) {
      assert.ok(nvidia.includes(f), f);
    }
    const dev = loadProfile(HARDWARE, 'dev').features;
    assert.ok(!dev.includes('nvenc') && !dev.includes('cuda'));
    assert.ok(dev.includes('x264') && dev.includes('sdl'));
  });

  it('turns every feature into an explicit CMake option, ON or OFF', () => {
    const options = cmakeFeatureOptions(loadProfile(HARDWARE, 'dev'));
    assert.equal(options.length, FEATURES.length);
    assert.ok(options.includes('DOORWAY_FEATURE_X264=ON'));
    assert.ok(options.includes('DOORWAY_FEATURE_NVENC=OFF'));
    assert.ok(options.includes('DOORWAY_FEATURE_AUDIO_IO=ON'));
  });

  it('gives ci and dev different manifests', () => {
    const table = loadFeatureTable(HARDWARE);
    const at = new Date('2026-01-01T00:00:00Z');
    const manifests = ['ci', 'dev'].map((name) => {
      const profile = loadProfile(HARDWARE, name);
      const video = profile.features.filter((f) => table.features[f].addon === 'video');
      return manifestFor(
        profile,
        { video: { file: `build/${name}/native/Release/video.node`, features: video } },
        at,
      );
    });
    const [ci, dev] = manifests;
    assert.ok(ci !== undefined && dev !== undefined);
    assert.notDeepEqual(ci, dev);
    assert.equal(ci.profile, 'ci');
    assert.ok(ci.builtFeatures.includes('nvenc'));
    assert.ok(!dev.builtFeatures.includes('nvenc'));
    assert.ok(
      !dev.builtFeatures.includes('opus'),
      'a declared feature no addon built is not a built feature',
    );
    assert.ok(dev.declaredFeatures.includes('opus'));
  });

  it('plans the audio addon only for profiles with audio features', () => {
    const table = loadFeatureTable(HARDWARE);
    assert.deepEqual(addonsFor(loadProfile(HARDWARE, 'dev'), table), ['fec', 'udp', 'video', 'audio']);
    const videoOnly = { ...loadProfile(HARDWARE, 'dev'), features: ['x264' as const] };
    assert.deepEqual(addonsFor(videoOnly, table), ['fec', 'udp', 'video']);
  });

  it('refuses a feature the build lacks in one line naming the profiles that have it', () => {
    const profile = loadProfile(HARDWARE, 'dev');
    const manifest = manifestFor(profile, { video: { file: 'x', features: ['x264'] } }, new Date());
    assert.doesNotThrow(() => {
      requireFeature(manifest, 'x264', HARDWARE);
    });
    assert.throws(
      () => {
        requireFeature(manifest, 'nvenc', HARDWARE);
      },
      (err: unknown) =>
        err instanceof FeatureUnavailableError &&
        err.message ===
          "feature 'nvenc' is not in this build (profile 'dev'); profiles that have it: ci, doorway-nvidia",
    );
    assert.throws(() => {
      requireFeature(manifest, 'opus', HARDWARE);
    }, /feature 'opus' is not in this build \(profile 'dev'\): the profile declares it/);
    assert.deepEqual(profilesWithFeature(HARDWARE, 'cuda'), ['doorway-nvidia']);
  });

  it('rejects a broken profile: unknown feature, duplicate, default without its feature, wrong name', () => {
    const hardware = copyHardware(tmp.dir);
    const file = join(hardware, 'profiles', 'dev.json');
    const original = readJson(file);
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ ...original, features: ['x264', 'teleport'] }, 'features[1]', /expected one of/],
      [{ ...original, features: ['x264', 'sdl', 'x264'] }, 'features[2]', /listed twice/],
      [{ ...original, features: ['x264'] }, 'defaults.display', /'sdl' needs feature 'sdl'/],
      [{ ...original, name: 'other' }, 'name', /must be 'dev'/],
    ];
    for (const [content, field, reason] of cases) {
      writeJson(file, content);
      assert.throws(
        () => loadProfile(hardware, 'dev'),
        (err: unknown) =>
          err instanceof ConfigError && err.file === file && err.field === field && reason.test(err.reason),
        field,
      );
    }
    assert.throws(() => loadProfile(hardware, 'nope'), /unknown profile 'nope'/);
  });

  it('rejects a feature table with an unknown feature', () => {
    const hardware = copyHardware(join(tmp.dir, 'table'));
    const file = join(hardware, 'features.json');
    const table = readJson(file);
    (table.features as Record<string, unknown>).teleport = {
      description: 'x',
      addon: 'video',
      packages: [],
    };
    writeFileSync(file, JSON.stringify(table));
    assert.throws(
      () => loadFeatureTable(hardware),
      (err: unknown) => err instanceof ConfigError && err.file === file,
    );
  });
});
