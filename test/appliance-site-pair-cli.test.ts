/** `doorway site-pair` (what `make demo` runs): two sites, media both ways, a summary that says so. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PNG } from 'pngjs';
import { exited, startCli } from './support/processes.js';
import { scratch } from './support/tree.js';

test('site-pair runs both sites and reports video and audio flowing each way', async () => {
  const tmp = scratch('doorway-site-pair-');
  after(() => {
    tmp.remove();
  });
  const child = startCli(['site-pair', '--out', tmp.dir, '--duration', '7']);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  assert.equal(await exited(child), 0, err);
  for (const [from, to] of [
    ['site-a', 'site-b'],
    ['site-b', 'site-a'],
  ]) {
    // Nothing is encoded for a peer before its session is up, and the first picture after is a
    // keyframe: no frame is lost at the start.
    assert.match(
      out,
      new RegExp(`${from} → ${to}: video flowing at [1-9][0-9.]* fps.*, 0 frames lost; audio flowing`),
    );
  }
  assert.doesNotMatch(out, /Errors:|restarted/);
  // Each site's speaker wrote what it heard.
  // ... its spectrogram, with the concealment per second read from the receiver's status.
  for (const site of ['site-a', 'site-b']) {
    assert.ok(existsSync(join(tmp.dir, site, 'heard.wav')));
    const png = PNG.sync.read(readFileSync(join(tmp.dir, site, 'heard.png')));
    // 7 s of status readings, played from about the first: several seconds of 10 ms columns.
    assert.ok(png.width >= 300 && png.height === 4 + 256 + 8, `${png.width}×${png.height}`);
    assert.match(
      out,
      new RegExp(`${site} heard: sound concealed in \\d+ of [3-9] s.*its spectrogram is .*heard\\.png\\.`),
    );
  }
});
