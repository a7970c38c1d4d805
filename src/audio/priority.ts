/**
 * A process that carries only audio asks the scheduler to prefer its JS thread: the jitter buffer
 * decides and the decoder runs there, every 5 ms, and on a machine whose cores are busy encoding
 * video a thread at normal priority can wait longer than the speaker's queue lasts. The native
 * port thread raises itself separately (see the engine's `scheduling` stat).
 */
import { getPriority, setPriority } from 'node:os';

/** The nice value asked for: well above normal work, short of the -20 kept for emergencies. */
export const AUDIO_PROCESS_NICE = -11;

export type ProcessScheduling = 'raised' | 'normal';

/**
 * Raises the calling thread's priority (Linux keeps nice per thread, so worker threads started
 * after this inherit it and those started before do not). Needs CAP_SYS_NICE or an RLIMIT_NICE;
 * without them the process runs as it is, which is reported, not an error.
 */
export function raiseAudioProcessPriority(): ProcessScheduling {
  try {
    if (getPriority() <= AUDIO_PROCESS_NICE) return 'raised';
    setPriority(AUDIO_PROCESS_NICE);
    return 'raised';
  } catch {
    return 'normal';
  }
}
