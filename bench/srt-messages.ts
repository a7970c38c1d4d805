/** The IPC messages between bench/srt-compare and its frame source and sink (bench/srt-frames). */
import type { FrameLogLine, ReceiveReport } from '../src/tools/report.js';

export interface SourceSummary {
  readonly frames: number;
  readonly chunks: number;
  readonly bytes: number;
  readonly sendErrors: number;
  /** How long after its capture time each frame was handed to the socket: timer and event-loop delay. */
  readonly sendLatenessMs: { readonly p50: number; readonly p99: number; readonly max: number };
}

export type ParentToChild = { readonly type: 'go' } | { readonly type: 'stop' };

export type ChildToParent =
  | { readonly type: 'source-ready' }
  | { readonly type: 'source-done'; readonly summary: SourceSummary }
  | { readonly type: 'sink-listening'; readonly port: number }
  | { readonly type: 'sink-probed' }
  | { readonly type: 'sink-report'; readonly report: ReceiveReport; readonly lines: readonly FrameLogLine[] };

const PARENT_TYPES: readonly string[] = ['go', 'stop'] satisfies ParentToChild['type'][];
const CHILD_TYPES: readonly string[] = [
  'source-ready',
  'source-done',
  'sink-listening',
  'sink-probed',
  'sink-report',
] satisfies ChildToParent['type'][];

function typeOf(message: unknown): string | null {
  if (typeof message !== 'object' || message === null || !('type' in message)) return null;
  return typeof message.type === 'string' ? message.type : null;
}

export function isParentMessage(message: unknown): message is ParentToChild {
  return PARENT_TYPES.includes(typeOf(message) ?? '');
}

/** Only the tag is checked: both ends are this benchmark's own code, built from the same tree. */
export function isChildMessage(message: unknown): message is ChildToParent {
  return CHILD_TYPES.includes(typeOf(message) ?? '');
}
