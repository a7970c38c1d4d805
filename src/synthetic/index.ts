export {
  SYNTHETIC_HEADER_BYTES,
  SYNTHETIC_MAGIC,
  SyntheticFrames,
  verifySyntheticFrame,
  type SyntheticFrame,
  type SyntheticFramesOptions,
} from './frames.js';
