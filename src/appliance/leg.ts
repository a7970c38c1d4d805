/** What both kinds of leg take and tell. */
import type { DuplexAudioEngine } from '../audio/index.js';
import type { AudioAddon, VideoAddon } from '../media/index.js';
import type { RepairCoder } from '../protocol/index.js';
import type { SessionTimings } from '../session/index.js';
import type { LinkKeys } from './link.js';

/** What a leg tells its owner beyond its figures: things a person should know about. */
export type LegNotice =
  | { readonly kind: 'device-lost'; readonly device: string; readonly detail: string }
  | { readonly kind: 'device-back'; readonly device: string }
  | { readonly kind: 'error'; readonly message: string };

/** A leg's options: its part of the role's plan, and what every leg shares. */
export interface LegOptions<Plan> {
  readonly plan: Plan;
  readonly keys: LinkKeys | null;
  readonly repair: RepairCoder;
  readonly timings?: Partial<SessionTimings>;
  readonly videoAddon?: () => VideoAddon;
  readonly audioAddon?: () => AudioAddon;
  /** The sound port both audio legs share (the echo canceller's far end); absent: a port of its own. */
  readonly duplexAudio?: DuplexAudioEngine;
  readonly onNotice: (notice: LegNotice) => void;
}

/** The addon loader a leg was given, or one that says which was missing. */
export function addonLoader<A>(loader: (() => A) | undefined, kind: 'video' | 'audio'): () => A {
  return (
    loader ??
    (() => {
      throw new Error(`no ${kind} addon given`);
    })
  );
}
