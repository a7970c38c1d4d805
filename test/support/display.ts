/**
 * SDL windows for the display tests, on SDL's offscreen driver with its software renderer, so no
 * screen or X server is needed. Import `video` from here, not from ./video.js: this module sets
 * SDL's environment before it loads the addon.
 */
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import type {
  PixelCode,
  VideoFrame,
  VideoWindow,
  WindowEvent,
  WindowOptions,
} from '../../src/media/index.js';
import { loadVideo, until } from './video.js';

// SDL reads these when the display thread initialises it. Without the last two SDL would draw
// through Mesa's llvmpipe GL, ~20x slower than its software renderer on two cores.
process.env.SDL_VIDEODRIVER = 'offscreen';
process.env.SDL_RENDER_DRIVER = 'software';
process.env.SDL_FRAMEBUFFER_ACCELERATION = '0';

export const video = loadVideo();

/** node:test's `skip` for a suite that needs SdlDisplay. */
export const skipWithoutSdl = video.features.includes('sdl') ? false : 'this build has no sdl feature';

export type Presented = Extract<WindowEvent, { kind: 'presented' }>;

/** An event callback for windows whose events the test does not look at. */
export const ignoreEvents = (): undefined => undefined;

/** A test window of `width` x `height`; no vsync, so frames show as fast as SDL draws them. */
export function windowOptions(width: number, height: number): WindowOptions {
  return { title: 'doorway test', width, height, fullscreen: false, vsync: false };
}

export interface TestWindow {
  readonly window: VideoWindow;
  /** Every event the window reported so far, in order. */
  readonly events: WindowEvent[];
  /** The `presented` events among them. */
  readonly presented: () => Presented[];
  /** Waits for the `presented` event of the frame given with `tag`. */
  readonly untilPresented: (tag: number) => Promise<void>;
  /** Presents `frame` with `tag` and waits until it is shown; the caller still owns `frame`. */
  readonly show: (frame: VideoFrame, tag: number) => Promise<void>;
}

/** Opens a window of `width` x `height` that records its events. The caller closes it. */
export function openTestWindow(width: number, height: number): TestWindow {
  const events: WindowEvent[] = [];
  const window = video.openWindow(windowOptions(width, height), (event) => events.push(event));
  const presented = (): Presented[] => events.filter((e): e is Presented => e.kind === 'presented');
  const untilPresented = (tag: number): Promise<void> =>
    until(`frame ${tag} presented`, () => presented().some((e) => e.tag === tag));
  return {
    window,
    events,
    presented,
    untilPresented,
    show: (frame, tag) => {
      window.present(frame, tag);
      return untilPresented(tag);
    },
  };
}

/** Runs `use` on what `window` shows now, releasing the read-back afterwards. */
export function withSnapshot<T>(window: VideoWindow, use: (shot: VideoFrame) => T): T {
  const shot = window.snapshot();
  try {
    return use(shot);
  } finally {
    shot.release();
  }
}

/** The pixel code of the picture `window` shows now (null when there is none to read). */
export function codeOnScreen(window: VideoWindow): PixelCode | null {
  return withSnapshot(window, (shot) => video.readPixelCode(shot));
}

/**
 * `frame` as RGB pixels: written to `file` as PNG by the addon and read back with pngjs, for the
 * colours and black bars that the pixel code (luma only) cannot tell.
 */
export function framePng(frame: VideoFrame, file: string): PNG {
  video.writeFramePng(frame, file);
  return PNG.sync.read(readFileSync(file));
}
