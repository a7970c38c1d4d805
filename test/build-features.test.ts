/**
 * The built addon against its manifest: a feature the profile left out has no code in the
 * binary, and asking for it at run time is one line naming the profiles that have it.
 * Runs against whatever `make build` produced last (`make test` builds the ci profile).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkTools, findTool } from '../src/build/native-build.js';
import { BuildError, FeatureUnavailableError } from '../src/errors/index.js';
import { AudioAddon, VideoAddon } from '../src/media/index.js';
import {
  ADDONS,
  FEATURES,
  loadFeatureTable,
  loadProfile,
  profilesWithFeature,
  readManifest,
  type AddonName,
  type Feature,
} from '../src/profiles/index.js';
import { CLI, HARDWARE, REPO } from './support/tree.js';

const manifest = readManifest(join(REPO, 'build', 'manifest.json'));
const table = loadFeatureTable(HARDWARE);
const featuresOf = (addon: AddonName): Feature[] => FEATURES.filter((f) => table.features[f].addon === addon);
const videoFeatures = featuresOf('video');
const absent = videoFeatures.filter((f) => !manifest.builtFeatures.includes(f));
const entry = manifest.addons.video;
assert.ok(entry !== undefined, 'the build has a video addon');
const binaries = new Map(
  Object.entries(manifest.addons).map(([addon, e]) => [addon, readFileSync(join(REPO, e.file))]),
);
const hasCode = (addon: AddonName, feature: Feature): boolean =>
  binaries.get(addon)?.includes(`doorway-feature:${feature}`) === true;

describe(`the ${manifest.profile} build`, () => {
  it('leaves out at least one video feature, so the check below means something', () => {
    assert.ok(absent.length > 0, `profile ${manifest.profile} builds every video feature`);
  });

  it('links the code of each built feature, in its own addon, and of no absent one', () => {
    for (const addon of ADDONS) {
      for (const feature of featuresOf(addon)) {
        const built = manifest.builtFeatures.includes(feature);
        assert.equal(
          hasCode(addon, feature),
          built,
          `${feature} ${built ? 'missing from' : 'linked into'} ${addon}`,
        );
      }
    }
    assert.ok(absent.every((f) => !hasCode('video', f)));
  });

  it('matches the profile it was built from', () => {
    const profile = loadProfile(HARDWARE, manifest.profile);
    assert.deepEqual(
      [...entry.features].sort(),
      profile.features.filter((f) => videoFeatures.includes(f)).sort(),
    );
  });

  it('answers a call into an absent feature with FeatureUnavailableError', () => {
    const video = VideoAddon.load(manifest, REPO, HARDWARE);
    assert.deepEqual([...video.features].sort(), [...entry.features].sort());
    const calls: Partial<Record<Feature, () => unknown>> = {
      cuda: () => video.cudaDevices(),
      nvenc: () => video.probeNvenc(),
      nvdec: () => video.probeNvdec(),
      x264: () => video.probeX264(),
      sdl: () => video.sdlInfo(),
      kms: () => video.drmDevices(),
      v4l2: () => video.v4l2Devices(),
    };
    for (const feature of absent) {
      const call = calls[feature];
      assert.ok(call !== undefined, feature);
      const expected = `feature '${feature}' is not in this build (profile '${manifest.profile}'); profiles that have it: ${profilesWithFeature(HARDWARE, feature).join(', ')}`;
      assert.throws(
        call,
        (err: unknown) => err instanceof FeatureUnavailableError && err.message === expected,
      );
    }
  });

  it('reports the libavcodec version and which codecs it has', () => {
    const video = VideoAddon.load(manifest, REPO, HARDWARE);
    assert.match(video.libavcodec().version, /^\d+\.\d+\.\d+$/);
    const names = video.codecs().map((c) => c.name);
    for (const name of ['libx264', 'h264_nvenc', 'hevc_nvenc', 'h264_cuvid'])
      assert.ok(names.includes(name), name);
  });

  it('runs the echo canceller and an Opus round trip where the build has them', (t) => {
    const audioEntry = manifest.addons.audio;
    if (audioEntry === undefined) {
      assert.ok(featuresOf('audio').every((f) => !manifest.builtFeatures.includes(f)));
      t.diagnostic('no audio addon in this build');
      return;
    }
    const audio = AudioAddon.load(manifest, REPO, HARDWARE);
    assert.deepEqual([...audio.features].sort(), [...audioEntry.features].sort());
    if (audio.features.includes('apm')) assert.deepEqual(audio.probeApm(), { ok: true });
    if (audio.features.includes('opus')) assert.match(audio.opusInfo().version, /^libopus \d/);
    if (audio.features.includes('audio-io')) {
      const pa = audio.portaudioDevices();
      assert.match(pa.version, /^PortAudio V19/);
      assert.ok(Array.isArray(pa.devices));
    }
    const calls: Partial<Record<Feature, () => unknown>> = {
      'audio-io': () => audio.portaudioDevices(),
      apm: () => audio.probeApm(),
      opus: () => audio.opusInfo(),
    };
    for (const feature of featuresOf('audio').filter((f) => !audio.features.includes(f))) {
      const call = calls[feature];
      assert.ok(call !== undefined, feature);
      assert.throws(call, FeatureUnavailableError);
    }
  });

  it('opens libx264 when built with x264, and names the reason NVENC cannot open without a GPU', (t) => {
    const video = VideoAddon.load(manifest, REPO, HARDWARE);
    if (video.features.includes('x264')) assert.deepEqual(video.probeX264(), { ok: true });
    if (!video.features.includes('nvenc')) {
      t.diagnostic('nvenc not in this build');
      return;
    }
    const nvenc = video.probeNvenc('h264');
    if (findLibraryFile('libcuda.so.1')) {
      t.diagnostic(`libcuda.so.1 present; NVENC probe said ${JSON.stringify(nvenc)}`);
      return;
    }
    assert.deepEqual(nvenc, { ok: false, error: 'Cannot load libcuda.so.1' });
    assert.throws(() => video.probeNvenc('av1' as 'h264'), /codec must be 'h264' or 'hevc'/);
  });

  it('prints the one-line error from the CLI when the manifest is missing', () => {
    const result = spawnSync(process.execPath, [CLI, 'version'], {
      encoding: 'utf8',
      env: { ...process.env, DOORWAY_MANIFEST: '/nonexistent/manifest.json' },
    });
    assert.equal(result.status, 0);
    assert.match(
      result.stdout,
      /^doorway \d+\.\d+\.\d+\nbuild: \/nonexistent\/manifest.json: cannot read: no such file\n$/,
    );
  });
});

describe('build tools', () => {
  it('finds a tool on PATH and reports one that is missing', () => {
    assert.equal(findTool('sh', '/bin:/usr/bin') !== null, true);
    assert.equal(findTool('doorway-no-such-tool', '/bin'), null);
  });

  it('refuses to build a profile whose feature needs a missing tool, naming both', () => {
    const profile = loadProfile(HARDWARE, 'doorway-nvidia');
    const needsMissing = {
      ...table,
      features: { ...table.features, cuda: { ...table.features.cuda, tools: ['doorway-no-such-nvcc'] } },
    };
    assert.throws(
      () => {
        checkTools(profile, needsMissing);
      },
      (err: unknown) =>
        err instanceof BuildError &&
        err.message ===
          "profile 'doorway-nvidia': feature 'cuda' needs doorway-no-such-nvcc, which is not installed (looked in PATH and /usr/local/cuda/bin)",
    );
    assert.doesNotThrow(() => {
      checkTools(loadProfile(HARDWARE, 'ci'), table);
    });
  });
});

function findLibraryFile(libname: string): boolean {
  const result = spawnSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' });
  return result.stdout.includes(libname);
}
