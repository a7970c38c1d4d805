export { parseSize, parseSourceSpec, VideoSpecError, type FrameSize, type VideoSourceSpec } from './spec.js';
export {
  VideoSendPipeline,
  type EncodedAccessUnit,
  type SendPipelineEvent,
  type SendPipelineOptions,
  type SendPipelineStats,
} from './send-pipeline.js';
export {
  VideoReceivePipeline,
  type PictureEvent,
  type ReceivePipelineOptions,
  type ReceivePipelineStats,
  type SinkKind,
} from './receive-pipeline.js';
