/**
 * What a video sender reads from, and at what size: the parsed forms of `--source` and `--size`.
 * Parsing never throws anything but VideoSpecError, whose message is one line naming the flag.
 */
import { DoorwayError } from '../errors/index.js';

/** A `--source` or `--size` value that cannot be used; exits 2 like other usage errors. */
export class VideoSpecError extends DoorwayError {
  override readonly name = 'VideoSpecError';
  readonly exitCode = 2;
}

export type VideoSourceSpec =
  /** The synthetic camera: a moving pattern with frame number and capture time in the pixels. */
  | { readonly kind: 'pattern' }
  /** A V4L2 camera. */
  | { readonly kind: 'v4l2'; readonly device: string }
  /** An H.264/HEVC Annex B file, sent as it is, paced at the frame rate and looped. */
  | { readonly kind: 'file'; readonly path: string }
  /** Encoded-frame stand-ins sized like video: transport tests and benchmarks only. */
  | { readonly kind: 'frames' };

export function parseSourceSpec(text: string): VideoSourceSpec {
  if (text === 'pattern' || text === 'frames') return { kind: text };
  if (text.startsWith('v4l2:') && text.length > 'v4l2:'.length) {
    return { kind: 'v4l2', device: text.slice('v4l2:'.length) };
  }
  if (text.startsWith('file:') && text.length > 'file:'.length) {
    return { kind: 'file', path: text.slice('file:'.length) };
  }
  throw new VideoSpecError(
    `--source '${text}' is not one of pattern, v4l2:/dev/videoN, file:PATH.h264, frames`,
  );
}

export interface FrameSize {
  readonly width: number;
  readonly height: number;
}

/** `1280x720` → {width, height}; both even (4:2:0 chroma) and within 128×64 … 7680×4320. */
export function parseSize(text: string): FrameSize {
  const match = /^(\d{2,5})x(\d{2,5})$/.exec(text.trim());
  const width = Number(match?.[1]);
  const height = Number(match?.[2]);
  if (
    match === null ||
    width % 2 !== 0 ||
    height % 2 !== 0 ||
    width < 128 ||
    height < 64 ||
    width > 7680 ||
    height > 4320
  ) {
    throw new VideoSpecError(
      `--size '${text}' must be WIDTHxHEIGHT with even sides from 128x64 to 7680x4320, e.g. 1280x720`,
    );
  }
  return { width, height };
}
