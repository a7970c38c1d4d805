/**
 * Rate control for the media link: a delay-based estimate at the receiver (`DelayBasedEstimator`,
 * after WebRTC's GCC) reported back to a loss-based controller at the sender (`LossBasedController`)
 * whose target drives the encoder. The parts live in `bandwidth-*.ts`.
 */
export { BandwidthConfigError } from './bandwidth-config.js';
export { DelayBasedEstimator, type DelayBasedOptions, type DelayBasedStats } from './bandwidth-delay.js';
export { LossBasedController, type LossBasedOptions, type LossBasedStats } from './bandwidth-loss.js';
export type { BandwidthUsage } from './bandwidth-trendline.js';
export type { RateControlState } from './bandwidth-aimd.js';
