/** Fixtures shared by the video jitter buffer tests (`test/protocol-jitter-*.test.ts`). */
import assert from 'node:assert/strict';
import {
  VideoJitterBuffer,
  type JitterBufferEvent,
  type VideoFrame,
  type VideoJitterBufferOptions,
} from '../../src/protocol/jitter-buffer.js';
import { frameId, micros } from '../../src/units/index.js';

/** The frame interval: 62.5 frames a second. */
export const FRAME_US = 16_000;
/** Capture time of frame 0. */
export const T0 = 1_000_000;
/** Constant transit: a frame completes this long after its capture. */
export const TRANSIT_US = 10_000;
/** The target delay under constant transit: the transit plus the default 2 ms margin. */
export const TARGET_US = 12_000;

/** Capture time of frame `id`. */
export const capture = (id: number): number => T0 + id * FRAME_US;
/** When frame `id` completes under constant transit. */
export const arrival = (id: number): number => capture(id) + TRANSIT_US;

function videoFrame<T>(id: number, keyframe: boolean, ref: number | null, payload: T): VideoFrame<T> {
  return {
    frameId: frameId(id),
    localCaptureUs: micros(capture(id)),
    keyframe,
    refFrameId: ref === null ? null : frameId(ref),
    payload,
  };
}

/**
 * Frame `id` (its payload is its id) that references frame `ref`, or nothing when `ref` is null;
 * flagged a keyframe when it references nothing, unless `keyframe` says otherwise.
 */
export function frameWithRef(id: number, ref: number | null, keyframe = ref === null): VideoFrame<number> {
  return videoFrame(id, keyframe, ref, id);
}

/**
 * Frame `id` of a chain, carrying `payload`: a keyframe, or a delta on frame `id - 1`; frame 0 is
 * the keyframe unless told.
 */
export function frameChainWith<T>(id: number, payload: T, keyframe = id === 0): VideoFrame<T> {
  return videoFrame(id, keyframe, keyframe ? null : id - 1, payload);
}

/** `frameChainWith` with the frame's id as its payload. */
export function frameChain(id: number, keyframe = id === 0): VideoFrame<number> {
  return frameChainWith(id, id, keyframe);
}

/** The payloads of every frame due at `now`, in release order. */
export function drain<T>(buf: VideoJitterBuffer<T>, now: number): T[] {
  const out: T[] = [];
  for (let f = buf.pollRelease(micros(now)); f !== null; f = buf.pollRelease(micros(now)))
    out.push(f.payload);
  return out;
}

/** Every queued event, in order. */
export function events<T>(buf: VideoJitterBuffer<T>): JitterBufferEvent[] {
  const out: JitterBufferEvent[] = [];
  for (let e = buf.pollEvent(); e !== null; e = buf.pollEvent()) out.push(e);
  return out;
}

/**
 * A buffer that has released frames 0..count-1 (frame 0 a keyframe, each other a delta on the one
 * before), each arriving after `TRANSIT_US` and released on time; its events drained.
 */
export function releasedOnTime(
  count: number,
  options: VideoJitterBufferOptions = {},
): VideoJitterBuffer<number> {
  const buf = new VideoJitterBuffer<number>(options);
  for (let id = 0; id < count; id++) {
    buf.insert(micros(arrival(id)), frameWithRef(id, id === 0 ? null : id - 1));
    assert.deepEqual(drain(buf, capture(id) + TARGET_US), [id]);
  }
  events(buf);
  return buf;
}

/** At `at`, a frame completes or the transport gives frame `giveUp` up. */
export type JitterAction = { at: number; insert: VideoFrame<number> } | { at: number; giveUp: number };

/**
 * Applies the actions in time order and sleeps exactly until `pollTimeout` in between; logs what
 * came out, when: released as `[payload, now]`, events as `[now, event]`.
 */
export function playOut(
  buf: VideoJitterBuffer<number>,
  actions: readonly JitterAction[],
): { released: [number, number][]; events: [number, JitterBufferEvent][] } {
  const todo = [...actions].sort((a, b) => a.at - b.at);
  const released: [number, number][] = [];
  const log: [number, JitterBufferEvent][] = [];
  let now = 0;
  for (let i = 0; ;) {
    const timeout = buf.pollTimeout() ?? Infinity;
    const action = todo[i];
    const wake = Math.min(timeout, action?.at ?? Infinity);
    if (wake === Infinity) break;
    now = Math.max(now, wake);
    if (action !== undefined && action.at <= wake) {
      if ('insert' in action) buf.insert(micros(now), action.insert);
      else buf.giveUp(micros(now), frameId(action.giveUp));
      i++;
    }
    for (const payload of drain(buf, now)) released.push([payload, now]);
    for (const e of events(buf)) log.push([now, e]);
  }
  return { released, events: log };
}
