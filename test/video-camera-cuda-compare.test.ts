/**
 * The camera's GPU conversion (YUYV -> NV12 kernel) against the CPU rule it must match: chroma is
 * the rounded average of the two source rows on both sides, so every byte agrees. Runs for real on
 * a cuda build with a GPU; elsewhere it is skipped with the reason (no cuda in the build, or CUDA's
 * own words for why no device is usable).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MediaError } from '../src/errors/index.js';
import { loadVideo } from './support/video.js';

const video = loadVideo();

function noGpuReason(): string | null {
  if (!video.features.includes('cuda')) return 'this build has no cuda feature';
  const cuda = video.cudaDevices();
  if (cuda.count > 0 && cuda.error === undefined) return null;
  return cuda.error ?? 'no CUDA-capable device is detected';
}

describe('YUYV -> NV12 on the GPU and on the CPU', () => {
  it('gives the same bytes at camera sizes, padded rows included', (t) => {
    const reason = noGpuReason();
    if (reason !== null) {
      t.skip(`no CUDA device: ${reason}`);
      return;
    }
    for (const [width, height] of [
      [1280, 720],
      [1920, 1080],
      [64, 2],
      [642, 362],
    ] as const) {
      const result = video.compareCudaConversion(width, height);
      assert.equal(result.samples, width * height * 1.5, `${width}x${height} compared every sample`);
      assert.equal(result.maxAbsDiff, 0, `${width}x${height}`);
    }
  });

  it('refuses sizes the kernel does not take, in one line', (t) => {
    if (!video.features.includes('cuda')) {
      t.skip('no CUDA device: this build has no cuda feature');
      return;
    }
    assert.throws(() => video.compareCudaConversion(641, 360), /width must be an even number from 2 to 8192/);
  });

  it('without a usable device says why, in CUDA words', (t) => {
    if (!video.features.includes('cuda')) {
      t.skip('no CUDA device: this build has no cuda feature');
      return;
    }
    if (noGpuReason() === null) {
      t.skip('a CUDA device is present here');
      return;
    }
    assert.throws(
      () => video.compareCudaConversion(64, 32),
      (err: unknown) =>
        err instanceof MediaError && err.message.startsWith('cuda: ') && !err.message.includes('\n'),
    );
  });
});
