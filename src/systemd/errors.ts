import { DoorwayError } from '../errors/index.js';

/**
 * systemd asked for notifications (NOTIFY_SOCKET is set) but libsystemd cannot be opened: the
 * service would never report READY and systemd would kill it at its start timeout, so this is
 * said at once, naming the library.
 */
export class LibsystemdUnavailableError extends DoorwayError {
  override readonly name = 'LibsystemdUnavailableError';
  readonly exitCode = 1;
  /** The shared object that could not be opened (`libsystemd.so.0`). */
  readonly soname: string;

  constructor(soname: string, reason: string) {
    super(`cannot open ${soname} for sd_notify (NOTIFY_SOCKET is set): ${oneLine(reason)}`);
    this.soname = soname;
  }
}

/** sd_notify() failed to deliver a message, or the notifier was set up inconsistently. */
export class SystemdNotifyError extends DoorwayError {
  override readonly name = 'SystemdNotifyError';
  readonly exitCode = 1;
  /** The errno name sd_notify returned (ENOENT, ECONNREFUSED, …); null for a setup mistake. */
  readonly errno: string | null;

  constructor(message: string, errno: string | null = null) {
    super(oneLine(message));
    this.errno = errno;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, '; ');
}
