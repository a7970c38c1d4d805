/**
 * Branded number types, so a microsecond never passes for a millisecond and a frame id never
 * passes for a sequence number. They cost nothing at run time. The brand is a structural
 * `__brand` string, so another module declaring the same brand (the network simulator's
 * `Micros`) is the same type.
 */
/** Microseconds on some clock (the protocol's time unit). */
export type Micros = number & { readonly __brand: 'Micros' };
/** Milliseconds (config and reports). */
export type Millis = number & { readonly __brand: 'Millis' };
/** Bits per second. */
export type BitsPerSecond = number & { readonly __brand: 'BitsPerSecond' };

/** A packet sequence number, unwrapped to 53 bits (the wire carries its low 32 bits). */
export type SeqNo = number & { readonly __brand: 'SeqNo' };
/** A frame id, unwrapped to 53 bits (the wire carries its low 32 bits). */
export type FrameId = number & { readonly __brand: 'FrameId' };
/** A media stream on a connection (0..255). */
export type StreamId = number & { readonly __brand: 'StreamId' };

export const micros = (value: number): Micros => value as Micros;
export const millis = (value: number): Millis => value as Millis;
export const bitsPerSecond = (value: number): BitsPerSecond => value as BitsPerSecond;
export const seqNo = (value: number): SeqNo => value as SeqNo;
export const frameId = (value: number): FrameId => value as FrameId;
export const streamId = (value: number): StreamId => value as StreamId;

export const msToMicros = (ms: number): Micros => Math.round(ms * 1000) as Micros;
export const microsToMs = (us: number): Millis => (us / 1000) as Millis;

const U32 = 2 ** 32;

/**
 * Extends a 32-bit wrapped counter to the value nearest `reference` (the last unwrapped one),
 * so counters survive wrap-around: 300k packets/s wraps 32 bits in four hours.
 */
export function unwrapU32(wrapped: number, reference: number): number {
  const base = reference - (reference % U32);
  let candidate = base + wrapped;
  if (candidate - reference > U32 / 2) candidate -= U32;
  else if (reference - candidate > U32 / 2) candidate += U32;
  return candidate < 0 ? wrapped : candidate;
}
