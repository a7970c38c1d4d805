/**
 * What the encoder and decoder refuse, each as one line that names the codec and says why:
 * NVENC and NVDEC where the machine has no NVIDIA driver (libavcodec's own reason), HEVC asked
 * of x264, bad sizes and options, a frame of the wrong size, garbage to decodeSync, and use
 * after close. Where this build or machine has the real thing, the case says so and is skipped.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FeatureUnavailableError, MediaError } from '../src/errors/index.js';
import { softwareDecoderOptions, video, x264Options } from './support/codec.js';

const has = (feature: 'x264' | 'nvenc' | 'nvdec'): boolean => video.features.includes(feature);

/** A reason libavcodec logged, not just its error code's generic text. */
const REASON =
  '(?!Unknown error occurred$|Generic error in an external library$|Operation not permitted$)\\S.*';

/** Asserts `fn` throws a MediaError whose message is one line matching `pattern`. */
function assertOneLine(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof MediaError, `a MediaError, not ${String(err)}`);
    assert.match(err.message, pattern);
    assert.doesNotMatch(err.message, /\n/);
    return true;
  });
}

describe('codec errors', () => {
  describe('NVENC and NVDEC without an NVIDIA driver', () => {
    const nvencWorks = has('nvenc') && video.probeNvenc('h264').ok;
    const nvdecWorks = has('nvdec') && video.probeNvdec('h264').ok;

    for (const codec of ['h264', 'hevc'] as const) {
      it(
        `an nvenc ${codec} encoder fails with libavcodec's reason`,
        {
          skip: nvencWorks && 'NVENC works on this machine',
        },
        () => {
          const open = (): unknown => video.createEncoder({ ...x264Options, codec, implementation: 'nvenc' });
          if (!has('nvenc')) {
            assert.throws(open, FeatureUnavailableError);
            return;
          }
          // "encoder h264_nvenc: Cannot load libcuda.so.1" here: libavcodec's reason, not its code.
          assert.equal(video.probeNvenc(codec).ok, false);
          assertOneLine(open, new RegExp(`^encoder ${codec}_nvenc: ${REASON}$`));
        },
      );

      it(
        `an nvdec ${codec} decoder fails with libavcodec's reason`,
        {
          skip: nvdecWorks && 'NVDEC works on this machine',
        },
        () => {
          const open = (): unknown => video.createDecoder({ codec, implementation: 'nvdec' });
          if (!has('nvdec')) {
            assert.throws(open, FeatureUnavailableError);
            return;
          }
          // "h264_cuvid decoder: Cannot load libnvcuvid.so.1" here.
          assert.equal(video.probeNvdec(codec).ok, false);
          assertOneLine(open, new RegExp(`^${codec}_cuvid decoder: ${REASON}$`));
        },
      );
    }
  });

  describe('the encoder', { skip: !has('x264') && 'this build has no x264 feature' }, () => {
    it('says hevc needs nvenc when asked to encode hevc with x264', () => {
      assertOneLine(
        () => video.createEncoder({ ...x264Options, codec: 'hevc' }),
        /^encoder: hevc needs the nvenc encoder/,
      );
    });

    it('refuses sizes x264 cannot encode and nonsense options', () => {
      for (const [width, height] of [
        [641, 360],
        [640, 361],
        [0, 360],
        [8, 8],
        [640, 9000],
        [640.5, 360],
      ] as const) {
        assertOneLine(
          () => video.createEncoder({ ...x264Options, width, height }),
          new RegExp(
            `^encoder: width and height must be even whole numbers from 16 to 8192 \\(got ${width}x${height}\\)$`,
          ),
        );
      }
      assertOneLine(() => video.createEncoder({ ...x264Options, fps: 0 }), /^encoder: fps must be/);
      assertOneLine(
        () => video.createEncoder({ ...x264Options, bitrateBps: -5 }),
        /^encoder: bitrateBps must be/,
      );
      assertOneLine(
        () => video.createEncoder({ ...x264Options, gopFrames: 0.5 }),
        /^encoder: gopFrames must be/,
      );
      // A wrong type is a caller's bug: a TypeError, passed through as it is.
      assert.throws(
        () => video.createEncoder({ ...x264Options, codec: 'vp8' as 'h264' }),
        /^TypeError: encoder: codec must be 'h264' or 'hevc'$/,
      );
      assert.throws(
        () => video.createEncoder({ ...x264Options, intraRefresh: 1 as unknown as boolean }),
        /^TypeError: encoder: intraRefresh must be true or false$/,
      );
    });

    it('refuses a frame of another size, and frames after close', () => {
      const encoder = video.createEncoder(x264Options);
      const small = video.patternSource(320, 180).capture(0, 0);
      const right = video.patternSource(640, 360).capture(1, 1);
      try {
        assert.throws(
          () => encoder.encodeSync(small, false),
          /^Error: encoder libx264: frame is 320x180 but the encoder was opened for 640x360$/,
        );
        right.release();
        assert.throws(() => encoder.encodeSync(right, false), /^Error: encoder: frame was already released$/);
        assert.throws(
          () => encoder.encodeSync({} as typeof right, false),
          /^TypeError: encoder: frame must be a VideoFrame$/,
        );
        encoder.close();
        assert.throws(() => encoder.encodeSync(small, false), /^Error: encoder: already closed$/);
        encoder.setBitrate(1e6); // ignored: the network's last reports may come after close
        assert.equal(encoder.stats().encoded, 0);
      } finally {
        small.release();
        encoder.close();
      }
    });
  });

  describe('the software decoder', () => {
    it(
      'throws one line for garbage and still decodes afterwards',
      { skip: !has('x264') && 'no x264 to make a stream' },
      () => {
        const encoder = video.createEncoder(x264Options);
        const decoder = video.createDecoder(softwareDecoderOptions);
        const frame = video.patternSource(640, 360).capture(7, 70);
        try {
          const packet = encoder.encodeSync(frame, false);
          assert.ok(packet !== null);
          for (const garbage of [
            new Uint8Array([1, 2, 3, 4, 5]),
            new Uint8Array([0, 0, 1, 0x41, 0x88, 0x30, 1, 2]),
          ]) {
            assert.throws(
              () => decoder.decodeSync(garbage),
              /^Error: h264 decoder: Invalid data found when processing input/,
            );
          }
          assert.throws(
            () => decoder.decodeSync(new Uint8Array(0)),
            /^Error: h264 decoder: empty access unit$/,
          );
          const picture = decoder.decodeSync(packet.data);
          assert.ok(picture !== null);
          assert.equal(video.readPixelCode(picture)?.frameNumber, 7);
          picture.release();
          assert.deepEqual(decoder.stats(), { packetsIn: 4, decoded: 1, errors: 3, dropped: 0 });
        } finally {
          frame.release();
          encoder.close();
          decoder.close();
        }
      },
    );

    it('refuses nonsense options and use after close', () => {
      assert.throws(
        () => video.createDecoder({ codec: 'av1' as 'h264', implementation: 'software' }),
        /^TypeError: decoder: codec must be 'h264' or 'hevc'$/,
      );
      const decoder = video.createDecoder({ codec: 'hevc', implementation: 'software' });
      decoder.close();
      assert.throws(() => decoder.decodeSync(new Uint8Array([0, 0, 1])), /^Error: decoder: already closed$/);
    });
  });
});
