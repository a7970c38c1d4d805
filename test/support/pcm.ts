/** One block of stereo 16-bit little-endian PCM (the engine's `pcm` codec) holding `sample` throughout. */
export function constantPcmBlock(frames: number, sample: number): Uint8Array {
  const bytes = new Uint8Array(frames * 2 * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < frames * 2; i++) view.setInt16(2 * i, sample, true);
  return bytes;
}
