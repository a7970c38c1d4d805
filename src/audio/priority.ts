/**
 * A process that carries only audio asks the scheduler to prefer its threads: the jitter buffer
 * decides and the decoder runs there, every 5 ms, and on a machine whose cores are busy encoding
 * video a thread at normal priority can wait longer than the speaker's queue lasts. The native
 * port thread raises itself separately (see the engine's `scheduling` stat).
 */
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The nice value asked for: well above normal work, short of the -20 kept for emergencies. */
export const AUDIO_PROCESS_NICE = -11;

export type ProcessScheduling = 'raised' | 'normal';

/**
 * Raises every thread of this process that exists now: the JS thread, and V8's and libuv's
 * workers, because the JS thread waits on them (a parallel scavenge is only as fast as its
 * slowest helper, and a helper at normal priority queues behind the video encoder's threads).
 * Linux keeps nice per thread; threads started later inherit it from the thread that starts them.
 * Needs CAP_SYS_NICE or an RLIMIT_NICE; without them the process runs as it is, which is
 * reported, not an error.
 */
export function raiseAudioProcessPriority(): ProcessScheduling {
  // The JS thread first: where even it cannot be raised, nothing can.
  if (!raise(0)) return 'normal';
  for (const tid of threadIds()) raise(tid);
  return 'raised';
}

/** Raises one thread (0: the calling one); false where the kernel refuses or it has ended. */
function raise(tid: number): boolean {
  try {
    if (getPriority(tid) > AUDIO_PROCESS_NICE) setPriority(tid, AUDIO_PROCESS_NICE);
    return true;
  } catch {
    return false;
  }
}

/** This process's thread ids (Linux), or none where /proc cannot tell. */
function threadIds(): number[] {
  try {
    return readdirSync('/proc/self/task').map(Number).filter(Number.isSafeInteger);
  } catch {
    return [];
  }
}
