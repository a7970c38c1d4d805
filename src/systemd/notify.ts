/**
 * sd_notify(3) for a Node.js service: READY, STATUS, WATCHDOG and STOPPING reach systemd through
 * libsystemd's own sd_notify(), called with ffi-rs. libsystemd rather than a hand-written datagram
 * because Node cannot send on an AF_UNIX datagram socket, and libsystemd already knows every
 * address form systemd hands out (a path, an abstract name starting with '@').
 */
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import type * as FfiRs from 'ffi-rs';
import { LibsystemdUnavailableError, SystemdNotifyError } from './errors.js';

/** The soname of libsystemd (Debian's libsystemd0, on every systemd machine). */
export const LIBSYSTEMD = 'libsystemd.so.0';

export type NotifierEnv = Readonly<Record<string, string | undefined>>;

export interface SystemdNotifierOptions {
  /** Where NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID are read; default `process.env`. */
  readonly env?: NotifierEnv;
  /** This process's pid, compared with WATCHDOG_PID; default `process.pid`. */
  readonly pid?: number;
  /** The shared object to open; default `libsystemd.so.0`. */
  readonly soname?: string;
}

const require = createRequire(import.meta.url);
let openedLibraries = 0;

/**
 * Tells systemd how a `Type=notify` service is doing. Outside systemd (no NOTIFY_SOCKET) every
 * call does nothing and returns false, and no native code is loaded, so the same program runs in
 * a terminal unchanged. Under systemd a call returns true once libsystemd has sent the message
 * and throws `SystemdNotifyError` when it could not: a supervisor that stops hearing from the
 * service will restart it, so a lost message is never silent.
 */
export class SystemdNotifier {
  readonly #socket: string | null;
  readonly #watchdogMs: number | null;
  readonly #ffi: typeof FfiRs | null;
  readonly #soname: string;
  readonly #key: string;
  #closed = false;

  constructor(options: SystemdNotifierOptions = {}) {
    const env = options.env ?? process.env;
    const socket = env.NOTIFY_SOCKET;
    this.#socket = socket === undefined || socket === '' ? null : socket;
    this.#soname = options.soname ?? LIBSYSTEMD;
    this.#key = `doorway-systemd-${String(++openedLibraries)}`;
    if (this.#socket === null) {
      this.#watchdogMs = null;
      this.#ffi = null;
      return;
    }
    // libsystemd reads NOTIFY_SOCKET from the C environment, not from the env given here; a
    // different socket there would send every message somewhere this object does not claim to.
    if (process.env.NOTIFY_SOCKET !== this.#socket) {
      throw new SystemdNotifyError(
        `NOTIFY_SOCKET '${this.#socket}' is not the process's own ('${process.env.NOTIFY_SOCKET ?? ''}'); libsystemd sends to the process's`,
      );
    }
    this.#watchdogMs = watchdogIntervalFrom(env, options.pid ?? process.pid);
    this.#ffi = openLibsystemd(this.#soname, this.#key);
  }

  /** True under systemd (NOTIFY_SOCKET set) until `close()`. */
  get enabled(): boolean {
    return this.#ffi !== null && !this.#closed;
  }

  /** The service is up: READY=1, with a status line when given. */
  ready(status?: string): boolean {
    return this.#send(status === undefined ? 'READY=1' : `READY=1\nSTATUS=${oneLine(status)}`);
  }

  /** The free-form line `systemctl status` shows. */
  status(text: string): boolean {
    return this.#send(`STATUS=${oneLine(text)}`);
  }

  /** Feeds the watchdog (WATCHDOG=1): call every `watchdogIntervalMs()` while healthy. */
  watchdog(): boolean {
    return this.#send('WATCHDOG=1');
  }

  /** The service is shutting down on purpose (STOPPING=1), so systemd does not call it a crash. */
  stopping(status?: string): boolean {
    return this.#send(status === undefined ? 'STOPPING=1' : `STOPPING=1\nSTATUS=${oneLine(status)}`);
  }

  /**
   * How often to call `watchdog()`: half of WATCHDOG_USEC, as sd_watchdog_enabled(3) advises, so
   * one late timer does not cost a restart. Null when systemd asked for no watchdog, or asked for
   * it for another process (WATCHDOG_PID), or when not under systemd at all.
   */
  watchdogIntervalMs(): number | null {
    return this.enabled ? this.#watchdogMs : null;
  }

  /** Releases libsystemd; later calls do nothing and return false. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ffi !== null) this.#ffi.close(this.#key);
  }

  #send(state: string): boolean {
    const ffi = this.#ffi;
    if (ffi === null || this.#closed) return false;
    let sent: number;
    try {
      sent = ffi.load({
        library: this.#key,
        funcName: 'sd_notify',
        retType: ffi.DataType.I32,
        paramsType: [ffi.DataType.I32, ffi.DataType.String],
        // unset_environment 0: the service notifies for its whole life, not only once.
        paramsValue: [0, state],
      });
    } catch (err) {
      // ffi-rs throws when the symbol is missing: a library by that name that is not libsystemd.
      throw new LibsystemdUnavailableError(this.#soname, errorText(err));
    }
    const what = state.slice(0, state.indexOf('='));
    if (sent < 0) {
      const errno = errnoName(-sent);
      throw new SystemdNotifyError(`sd_notify(${what}) to ${this.#socket ?? ''} failed: ${errno}`, errno);
    }
    if (sent === 0) {
      // libsystemd found no NOTIFY_SOCKET: someone removed it from the environment after start.
      throw new SystemdNotifyError(`sd_notify(${what}): NOTIFY_SOCKET is no longer in the environment`);
    }
    return true;
  }
}

/** WATCHDOG_USEC halved, in ms; null when absent, malformed, or meant for another pid. */
function watchdogIntervalFrom(env: NotifierEnv, pid: number): number | null {
  const forPid = env.WATCHDOG_PID;
  // Like sd_watchdog_enabled(3): a WATCHDOG_PID naming another process means the watchdog is
  // that process's job (a shell that exec'd us keeps the pid, so this is the forked-child case).
  if (forPid !== undefined && forPid !== '') {
    if (!/^[0-9]+$/.test(forPid) || Number(forPid) !== pid) return null;
  }
  const usecText = env.WATCHDOG_USEC;
  if (usecText === undefined || !/^[0-9]+$/.test(usecText)) return null;
  const usec = Number(usecText);
  if (!Number.isSafeInteger(usec) || usec <= 0) return null;
  return Math.max(1, Math.floor(usec / 2000));
}

function openLibsystemd(soname: string, key: string): typeof FfiRs {
  let ffi: typeof FfiRs;
  try {
    ffi = require('ffi-rs') as typeof FfiRs;
  } catch (err) {
    throw new LibsystemdUnavailableError(soname, `ffi-rs cannot be loaded: ${errorText(err)}`);
  }
  try {
    ffi.open({ library: key, path: soname });
  } catch (err) {
    throw new LibsystemdUnavailableError(soname, errorText(err));
  }
  return ffi;
}

/** sd_notify's format is one VAR=value per line: a newline (or a NUL, for C) would cut it. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\0]+/g, ' ');
}

function errnoName(code: number): string {
  for (const [name, value] of Object.entries(constants.errno)) if (value === code) return name;
  return `errno ${String(code)}`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
