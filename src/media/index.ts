export {
  VideoAddon,
  type CodecPresence,
  type CudaInfo,
  type DrmDevice,
  type HwCodec,
  type LibavcodecVersion,
  type SdlInfo,
  type V4l2Device,
} from './video-addon.js';
export { AudioAddon, type AudioDevice, type OpusInfo, type PortAudioInfo } from './audio-addon.js';
export type { ProbeResult } from './probe.js';
export { readAddonFeatures } from './native-loader.js';
export { loadFecKernel, type FecKernel } from './fec-addon.js';
