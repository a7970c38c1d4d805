/**
 * How the typed boundaries turn a native part's refusal into a doorway error: the part's own
 * one-line message becomes a MediaError; a TypeError (a caller's bug) passes through unchanged.
 */
import { DoorwayError, MediaError } from '../errors/index.js';

/** Runs a native call, giving its refusals (a missing device, a bad file, a codec this machine cannot open) as MediaError. */
export function media<T>(call: () => T): T {
  try {
    return call();
  } catch (err) {
    throw asMediaError(err);
  }
}

/** The same conversion for a rejected native promise's reason. */
export function asMediaError(err: unknown): unknown {
  if (err instanceof Error && !(err instanceof TypeError) && !(err instanceof DoorwayError)) {
    return new MediaError(err.message);
  }
  return err;
}
