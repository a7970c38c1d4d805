/**
 * SdlDisplay's failures are one-line errors, never crashes: a video driver that does not exist or
 * cannot work here, bad options, a second window, things that are not frames. After a failed
 * open, SDL is left clean and a window opens normally.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VideoWindow, WindowOptions } from '../src/media/index.js';
import { ignoreEvents, skipWithoutSdl, video, windowOptions } from './support/display.js';

const options = windowOptions(320, 180);

/** The error `open` throws, asserted to be one line starting with `display: `. */
function openError(open: () => VideoWindow): string {
  let window: VideoWindow | undefined;
  try {
    window = open();
  } catch (err) {
    assert.ok(err instanceof Error);
    assert.match(err.message, /^display: [^\n]+$/);
    return err.message;
  }
  window.close();
  return assert.fail('opened a window');
}

/** Runs `body` with the environment variables in `vars` set (undefined: unset), then restores them. */
function withEnv<T>(vars: Record<string, string | undefined>, body: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>): void => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = value;
    }
  };
  apply(vars);
  try {
    return body();
  } finally {
    apply(saved);
  }
}

describe('SDL window errors', { skip: skipWithoutSdl }, () => {
  it('names a video driver that does not exist', () => {
    const message = withEnv({ SDL_VIDEODRIVER: 'nonexistent' }, () =>
      openError(() => video.openWindow(options, ignoreEvents)),
    );
    assert.equal(message, 'display: cannot open a window (nonexistent not available)');
  });

  it('says why x11 cannot work without DISPLAY', () => {
    const message = withEnv({ SDL_VIDEODRIVER: 'x11', DISPLAY: undefined }, () =>
      openError(() => video.openWindow(options, ignoreEvents)),
    );
    assert.equal(message, 'display: cannot open a window (x11 not available: no DISPLAY)');
  });

  it('goes for KMS/DRM when there is no window system and no driver is named', () => {
    withEnv({ SDL_VIDEODRIVER: undefined, DISPLAY: undefined, WAYLAND_DISPLAY: undefined }, () => {
      let window: VideoWindow | undefined;
      try {
        window = video.openWindow(options, ignoreEvents);
      } catch (err) {
        // The usual case off the appliance: no DRM device this user may drive.
        assert.ok(err instanceof Error);
        assert.match(err.message, /^display: [^\n]*kmsdrm[^\n]*$/);
        return;
      }
      try {
        assert.equal(window.info().videoDriver, 'kmsdrm');
      } finally {
        window.close();
      }
    });
  });

  it('opens normally after those failures, and refuses a second window while one is open', () => {
    const window = video.openWindow(options, ignoreEvents);
    try {
      assert.equal(window.info().videoDriver, 'offscreen');
      assert.equal(
        openError(() => video.openWindow(options, ignoreEvents)),
        'display: a window is already open in this process',
      );
    } finally {
      window.close();
    }
  });

  it('rejects bad options with TypeErrors', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ ...options, width: 0 }, /^display: options\.width must be a whole number from 1 to 16384$/],
      [{ ...options, height: 12.5 }, /^display: options\.height must be a whole number/],
      [{ ...options, vsync: 'yes' }, /^display: options\.vsync must be a boolean$/],
      [{ ...options, title: 3 }, /^display: options\.title must be text$/],
    ];
    for (const [given, message] of bad) {
      assert.throws(() => video.openWindow(given as unknown as WindowOptions, ignoreEvents), {
        name: 'TypeError',
        message,
      });
    }
  });

  it('rejects what is not a live frame, and a tag that is not a number', () => {
    const window = video.openWindow(options, ignoreEvents);
    try {
      const source = video.patternSource(320, 180);
      const frame = source.capture(1, 1);
      assert.throws(() => window.present({} as never, 1), {
        name: 'TypeError',
        message: 'display: frame must be a VideoFrame',
      });
      assert.throws(() => window.present(frame, 'one' as unknown as number), {
        name: 'TypeError',
        message: 'display: tag must be a number',
      });
      frame.release();
      assert.throws(() => window.present(frame, 1), { message: 'display: frame was already released' });
      assert.deepEqual(window.stats(), { presented: 0, replaced: 0, eventsDropped: 0, errors: 0 });
    } finally {
      window.close();
    }
  });
});
