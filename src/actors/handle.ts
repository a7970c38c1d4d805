/**
 * Native frame handles. A video frame lives in memory owned by a native addon (a DMA-BUF, a CUDA
 * buffer, a pool slot); what actors pass around is a handle: a tiny plain object naming that memory by
 * `kind` and an opaque `id`. Sent to a worker actor it is structured-cloned as two fields; the pixels
 * never move. Any thread of the same process resolves the id through the addon that issued it. A handle
 * means nothing in another process; never send one to a remote address.
 */
export interface NativeHandle<K extends string = string> {
  readonly $nativeHandle: 1;
  /** Which addon (and pool) issued it, e.g. `video.frame`. */
  readonly kind: K;
  /** Opaque id, meaningful only to the issuing addon. */
  readonly id: bigint;
}

export function nativeHandle<K extends string>(kind: K, id: bigint): NativeHandle<K> {
  return Object.freeze({ $nativeHandle: 1, kind, id });
}

export function isNativeHandle(value: unknown): value is NativeHandle {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<NativeHandle>;
  return (
    candidate.$nativeHandle === 1 && typeof candidate.kind === 'string' && typeof candidate.id === 'bigint'
  );
}
