/**
 * doorway's audio decisions in TypeScript, sans-I/O: the audio jitter buffer (NetEQ-like playout
 * with accelerate, expand, FEC and PLC) and lip sync. Samples never come here; see README.md.
 */
export {
  AudioJitterBuffer,
  AudioJitterBufferConfigError,
  AudioJitterBufferInputError,
  type AudioDecision,
  type AudioDecisionKind,
  type AudioJitterBufferOptions,
  type AudioJitterBufferStats,
  type AudioPacket,
} from './jitter-buffer.js';
export {
  LipSync,
  LipSyncConfigError,
  LipSyncInputError,
  type LipSyncOptions,
  type LipSyncStats,
} from './lip-sync.js';
export { AUDIO_PROCESS_NICE, raiseAudioProcessPriority, type ProcessScheduling } from './priority.js';
export {
  DuplexAudioEngine,
  DuplexAudioError,
  type AudioPortSetup,
  type DuplexAudioEngineOptions,
  type DuplexSide,
} from './duplex-engine.js';
export { AudioSendPipeline, type AudioSendPipelineOptions, type AudioSendStats } from './send-pipeline.js';
export {
  AudioReceivePipeline,
  type AudioReceivePipelineOptions,
  type AudioReceiveStats,
} from './receive-pipeline.js';
export { AudioSpecError, parseAudioSink, parseAudioSource } from './spec.js';
