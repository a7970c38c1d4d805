export {
  VideoAddon,
  type CodecPresence,
  type CudaInfo,
  type DrmDevice,
  type HwCodec,
  type LibavcodecVersion,
  type ProbeResult,
  type SdlInfo,
  type V4l2Device,
} from './video-addon.js';
export { readAddonFeatures } from './native-loader.js';
