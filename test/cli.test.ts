import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, scratch, writeSite } from './support/tree.js';

const tmp = scratch('cli');
after(tmp.remove);

function doorway(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function assertOneLineError(stderr: string): void {
  assert.equal(stderr.trimEnd().split('\n').length, 1, `one line expected, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
}

describe('doorway CLI', () => {
  it('prints help for the program and for every subcommand', () => {
    const top = doorway('--help');
    assert.equal(top.status, 0);
    for (const command of ['version', 'doctor']) {
      assert.match(top.stdout, new RegExp(`\\n  ${command}`));
      const sub = doorway(command, '--help');
      assert.equal(sub.status, 0, command);
      assert.match(sub.stdout, new RegExp(`^Usage: doorway ${command}`));
    }
    assert.match(doorway().stdout, /^Usage: doorway/);
  });

  it('prints the version with the built profile', () => {
    const result = doorway('version');
    assert.equal(result.status, 0);
    assert.match(
      result.stdout,
      /^doorway \d+\.\d+\.\d+\nprofile: [a-z-]+\nfeatures: .+\nlibavcodec: \d+\.\d+\.\d+\n$/,
    );
  });

  it('exits 2 on an unknown command or option', () => {
    const command = doorway('teleport');
    assert.equal(command.status, 2);
    assert.match(command.stderr, /unknown command 'teleport'/);
    const option = doorway('doctor', '--colour');
    assert.equal(option.status, 2);
    assert.match(option.stderr, /unknown option '--colour'/);
  });

  it('exits 2 on a bad site config, naming file and field in one line', () => {
    const dir = join(tmp.dir, 'bad');
    mkdirSync(dir);
    const file = writeSite(dir, (s) => {
      (s.bitrate as Record<string, unknown>).audioKbps = 'loud';
    });
    const result = doorway('doctor', '--site', file);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    assertOneLineError(result.stderr);
    assert.match(result.stderr, new RegExp(`^doorway: ${file}: bitrate.audioKbps: .*expected number`));
  });

  it('exits 1 from doctor when the site needs what the machine lacks', () => {
    const file = writeSite(tmp.dir, (s) => {
      (s.devices as Record<string, unknown>).camera = {
        source: 'v4l2',
        device: '/dev/video-doorway-absent',
        width: 1920,
        height: 1080,
        fps: 60,
      };
    });
    const result = doorway('doctor', '--site', file, '--json', '--no-peer');
    assert.equal(result.status, 1);
    const report = JSON.parse(result.stdout) as { ok: boolean; checks: { item: string; verdict: string }[] };
    assert.equal(report.ok, false);
    assert.ok(report.checks.some((c) => c.item === 'camera' && c.verdict === 'fail'));
  });

  it('exits 0 from doctor on a good build without a site', () => {
    const result = doorway('doctor');
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^ok +build +profile /m);
    assert.match(result.stdout, /verdict: ready/);
    assert.equal(result.stderr, '', 'library chatter (ALSA, JACK, libavcodec) stays off stderr');
  });
});
