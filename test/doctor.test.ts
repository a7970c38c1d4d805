import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadSiteConfig } from '../src/config/index.js';
import { formatReport, runDoctor, type Check, type DoctorOptions } from '../src/doctor/index.js';
import { HARDWARE, REPO, scratch, writeSite } from './support/tree.js';

const tmp = scratch('doctor');
after(tmp.remove);

/** A fake /dev and /proc: `video` nodes, ALSA cards, and optionally the NVIDIA driver. */
function fakeRoots(
  name: string,
  opts: { videos?: string[]; cards?: string; nvidia?: string },
): { dev: string; proc: string } {
  const dev = join(tmp.dir, name, 'dev');
  const proc = join(tmp.dir, name, 'proc');
  mkdirSync(dev, { recursive: true });
  mkdirSync(join(proc, 'asound'), { recursive: true });
  for (const v of opts.videos ?? []) writeFileSync(join(dev, v), '');
  writeFileSync(join(proc, 'asound', 'cards'), opts.cards ?? '--- no soundcards ---\n');
  if (opts.nvidia !== undefined) {
    mkdirSync(join(proc, 'driver', 'nvidia'), { recursive: true });
    writeFileSync(join(proc, 'driver', 'nvidia', 'version'), `${opts.nvidia}\nGCC version: 12\n`);
  }
  return { dev, proc };
}

function base(extra: Partial<DoctorOptions> = {}): DoctorOptions {
  return {
    appRoot: REPO,
    hardwareDir: HARDWARE,
    manifestFile: join(REPO, 'build', 'manifest.json'),
    findLibrary: () => null,
    // The example site's peer is not on this network; doctor-peer-*.test.ts cover the peer.
    peer: false,
    ...extra,
  };
}

function check(checks: readonly Check[], item: string): Check {
  const found = checks.find((c) => c.item === item);
  assert.ok(found !== undefined, `no check named ${item}`);
  return found;
}

describe('doorway doctor', () => {
  it('passes the build on a machine without devices when no site is given', async () => {
    const report = await runDoctor(base({ roots: fakeRoots('bare', {}) }));
    assert.equal(report.ok, true, formatReport(report));
    assert.equal(check(report.checks, 'addon video').verdict, 'ok');
    assert.match(check(report.checks, 'addon video').detail, /libavcodec \d+\.\d+\.\d+/);
    assert.equal(check(report.checks, 'addon udp').verdict, 'ok');
    assert.match(check(report.checks, 'addon udp').detail, /(no )?GSO, (no )?GRO; receive buffer \d+ KiB/);
    assert.equal(check(report.checks, 'sound').verdict, 'info');
    assert.match(formatReport(report), /verdict: ready\n$/);
  });

  it('fails what an appliance site needs and the machine lacks: camera, sound, NVIDIA', async () => {
    const site = loadSiteConfig(writeSite(join(tmp.dir)), { hardwareDir: HARDWARE });
    const report = await runDoctor(
      base({ site, roots: fakeRoots('appliance-missing', { videos: ['video2'] }) }),
    );
    assert.equal(report.ok, false);
    assert.equal(check(report.checks, 'camera').verdict, 'fail');
    assert.match(check(report.checks, 'camera').detail, /\/dev\/video0: no such device; found: .*video2/);
    assert.equal(check(report.checks, 'sound').verdict, 'fail');
    assert.equal(check(report.checks, 'nvidia driver').verdict, 'fail');
    assert.equal(check(report.checks, 'libcuda.so.1').verdict, 'fail');
    assert.match(formatReport(report), /verdict: not ready\n$/);
  });

  it('passes the devices of an appliance site once they are present', async () => {
    const dir = join(tmp.dir, 'present');
    mkdirSync(dir);
    const siteFile = writeSite(dir);
    const site = loadSiteConfig(siteFile, { hardwareDir: HARDWARE });
    const roots = fakeRoots('appliance-present', {
      videos: ['video0'],
      cards:
        ' 0 [PCH            ]: HDA-Intel - HDA Intel PCH\n                      HDA Intel PCH at 0xf7f10000\n',
      nvidia: 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14',
    });
    const report = await runDoctor(
      base({ site, roots, findLibrary: () => '/usr/lib/x86_64-linux-gnu/libcuda.so.1' }),
    );
    assert.equal(check(report.checks, 'camera').verdict, 'ok');
    assert.equal(check(report.checks, 'sound').verdict, 'ok');
    assert.match(check(report.checks, 'sound').detail, /HDA-Intel/);
    assert.equal(check(report.checks, 'nvidia driver').verdict, 'ok');
    assert.equal(check(report.checks, 'libcuda.so.1').verdict, 'ok');
  });

  it('warns, and names the fallback, when the build has no batched UDP port', async () => {
    const manifest = JSON.parse(readFileSync(join(REPO, 'build', 'manifest.json'), 'utf8')) as {
      addons: Record<string, unknown>;
    };
    delete manifest.addons.udp;
    const file = join(tmp.dir, 'no-udp.json');
    writeFileSync(file, JSON.stringify(manifest));
    const report = await runDoctor(base({ manifestFile: file, roots: fakeRoots('no-udp', {}) }));
    assert.equal(report.ok, true, formatReport(report));
    const udp = check(report.checks, 'addon udp');
    assert.equal(udp.verdict, 'warn');
    assert.match(udp.detail, /udp.*: the links fall back to node:dgram$/);
  });

  it('fails a missing build with what to do about it', async () => {
    const report = await runDoctor(
      base({ manifestFile: join(tmp.dir, 'none.json'), roots: fakeRoots('nobuild', {}) }),
    );
    assert.equal(report.ok, false);
    assert.match(check(report.checks, 'build').detail, /cannot read: no such file \(run make build\)/);
  });

  it('accepts a PulseAudio site without a sound card, and a synthetic camera without /dev/video', async () => {
    const dir = join(tmp.dir, 'pulse');
    mkdirSync(dir);
    const site = loadSiteConfig(
      writeSite(dir, (s) => {
        s.profile = 'dev';
        s.devices = {
          camera: { source: 'synthetic', width: 1280, height: 720, fps: 60 },
          display: { sink: 'headless', fullscreen: false },
          audio: { capture: 'pulse', playback: 'pulse' },
        };
      }),
      { hardwareDir: HARDWARE },
    );
    const report = await runDoctor(base({ site, roots: fakeRoots('pulse', {}) }));
    assert.equal(check(report.checks, 'sound').verdict, 'ok');
    assert.equal(check(report.checks, 'cameras').verdict, 'info');
    assert.equal(check(report.checks, 'nvidia driver').verdict, 'info', 'dev needs no NVIDIA driver');
  });

  it('accepts synthetic audio without a sound card, and still wants one for a card device', async () => {
    const dir = join(tmp.dir, 'synthetic');
    mkdirSync(dir);
    const audioSite = (audio: { capture: string; playback: string }): ReturnType<typeof loadSiteConfig> =>
      loadSiteConfig(
        writeSite(dir, (s) => {
          s.profile = 'dev';
          s.devices = {
            camera: { source: 'synthetic', width: 1280, height: 720, fps: 60 },
            display: { sink: 'headless', fullscreen: false },
            audio,
          };
        }),
        { hardwareDir: HARDWARE },
      );
    const roots = fakeRoots('synthetic', {});
    for (const audio of [
      { capture: 'synthetic:speech', playback: 'null' },
      { capture: 'file:/srv/talk.wav', playback: 'file:/tmp/heard.wav' },
    ]) {
      const report = await runDoctor(base({ site: audioSite(audio), roots }));
      assert.equal(check(report.checks, 'sound').verdict, 'ok', JSON.stringify(audio));
    }
    const card = await runDoctor(
      base({ site: audioSite({ capture: 'synthetic', playback: 'default' }), roots }),
    );
    assert.equal(check(card.checks, 'sound').verdict, 'fail', 'a card speaker needs a card');
  });
});
