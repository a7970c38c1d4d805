/**
 * Child-process plumbing for bench/srt-compare: every child is tracked so that none outlives the
 * benchmark (normal end, error, or the parent exiting), and every wait has a time limit that names
 * what it waited for.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { isChildMessage, type ChildToParent, type ParentToChild } from './srt-messages.js';

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A last resort: whatever still runs when this process exits is killed outright. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

const TAIL_CHARS = 4000;
const POLL_MS = 25;

export class Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  #stdout = '';
  #stderr = '';
  #exitCode: number | null | undefined = undefined;
  readonly #messages: ChildToParent[] = [];
  readonly #listeners = new Set<() => void>();

  constructor(name: string, child: ChildProcess) {
    installExitHook();
    this.name = name;
    this.process = child;
    live.add(child);
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (text: string) => {
      this.#stdout = (this.#stdout + text).slice(-TAIL_CHARS * 4);
      this.#notify();
    });
    child.stderr?.on('data', (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-TAIL_CHARS);
      this.#notify();
    });
    child.on('message', (message: unknown) => {
      if (isChildMessage(message)) this.#messages.push(message);
      this.#notify();
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        this.#exitCode = code ?? (signal === null ? null : -1);
        this.#notify();
        resolve(this.#exitCode);
      });
      child.once('error', (err) => {
        live.delete(child);
        this.#stderr += `\n${err.message}`;
        this.#exitCode = -1;
        this.#notify();
        resolve(-1);
      });
    });
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  get running(): boolean {
    return this.#exitCode === undefined;
  }

  send(message: ParentToChild): void {
    if (this.process.connected) this.process.send(message);
  }

  /** Resolves with what `pick` finds; rejects when the child exits first or time runs out. */
  async waitFor<T>(what: string, timeoutMs: number, pick: () => T | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const found = pick();
        if (found !== undefined)
          finish(() => {
            resolve(found);
          });
        else if (!this.running)
          finish(() => {
            reject(
              new Error(`${this.name} exited (${String(this.#exitCode)}) before ${what}${this.#tail()}`),
            );
          });
      };
      const timer = setTimeout(() => {
        finish(() => {
          reject(
            new Error(
              `timed out after ${timeoutMs / 1000} s waiting for ${what} from ${this.name}${this.#tail()}`,
            ),
          );
        });
      }, timeoutMs);
      // Output and messages wake the check at once; the poll covers conditions outside the child.
      const poll = setInterval(check, POLL_MS);
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        clearInterval(poll);
        this.#listeners.delete(check);
        settle();
      };
      this.#listeners.add(check);
      check();
    });
  }

  /** The first IPC message of this type. */
  async message<K extends ChildToParent['type']>(
    type: K,
    timeoutMs: number,
  ): Promise<Extract<ChildToParent, { type: K }>> {
    return this.waitFor(`message '${type}'`, timeoutMs, () =>
      this.#messages.find((m): m is Extract<ChildToParent, { type: K }> => m.type === type),
    );
  }

  /** Resolves once stdout or stderr matches. */
  async output(pattern: RegExp, timeoutMs: number): Promise<void> {
    await this.waitFor(`output ${String(pattern)}`, timeoutMs, () =>
      pattern.test(this.#stdout) || pattern.test(this.#stderr) ? true : undefined,
    );
  }

  /** Exit code once the child ends by itself, or an error after `timeoutMs`. */
  async exit(timeoutMs: number): Promise<number | null> {
    return this.waitFor('exit', timeoutMs, () => (this.running ? undefined : this.#exitCode));
  }

  /** Asks the child to stop (SIGTERM), then kills it when it does not within `graceMs`. */
  async stop(graceMs = 2000): Promise<void> {
    if (!this.running) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  #tail(): string {
    const text = this.#stderr.trim().split('\n').slice(-3).join(' | ');
    return text === '' ? '' : `: ${text}`;
  }
}

export function spawnChild(name: string, command: string, args: readonly string[]): Child {
  return new Child(name, spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
}

export function forkChild(name: string, script: string, args: readonly string[]): Child {
  return new Child(name, fork(script, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }));
}

/** Stops children in order (a sender before its relay before its receiver) and never throws. */
export async function stopAll(children: readonly Child[]): Promise<void> {
  for (const child of children) await child.stop();
}

/** `n` distinct free UDP ports on the host: all bound at once, so none repeats, then released. */
export async function freeUdpPorts(host: string, n: number): Promise<number[]> {
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const socket = createSocket('udp4');
      sockets.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(0, host, resolve);
      });
    }
    return sockets.map((s) => s.address().port);
  } finally {
    await Promise.all(
      sockets.map(
        async (s) =>
          new Promise<void>((resolve) => {
            s.close(() => {
              resolve();
            });
          }),
      ),
    );
  }
}

function boundUdpPorts(): Set<number> | null {
  const ports = new Set<number>();
  try {
    for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
      for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
        const local = line.trim().split(/\s+/)[1];
        const hex = local?.split(':').at(-1);
        if (hex !== undefined && hex !== '') ports.add(Number.parseInt(hex, 16));
      }
    }
  } catch {
    return null;
  }
  return ports;
}

/**
 * Waits until something has bound the UDP port. Reads /proc/net/udp rather than trying to bind
 * the port, which could steal it from the child; without /proc it just waits a fixed while.
 */
export async function waitUdpBound(port: number, who: Child, timeoutMs: number): Promise<void> {
  if (boundUdpPorts() === null) {
    await sleep(Math.min(timeoutMs, 1500));
    return;
  }
  await who.waitFor(`UDP port ${port} to be bound`, timeoutMs, () =>
    boundUdpPorts()?.has(port) === true ? true : undefined,
  );
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Kernel-wide UDP receive-buffer drops so far: datagrams lost before any program saw them. */
export function udpReceiveBufferErrors(): number | null {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('Udp:'));
    const names = lines[0]?.split(/\s+/) ?? [];
    const values = lines[1]?.split(/\s+/) ?? [];
    const at = names.indexOf('RcvbufErrors');
    return at < 0 ? null : Number(values[at]);
  } catch {
    return null;
  }
}

/** Datagrams dropped so far at each UDP socket (by inode): the `drops` column of /proc/net/udp. */
function socketDrops(): Map<string, number> | null {
  const drops = new Map<string, number>();
  try {
    for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
      for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        const inode = cols[9];
        const dropped = Number(cols[12]);
        if (inode !== undefined && Number.isFinite(dropped)) drops.set(inode, dropped);
      }
    }
  } catch {
    return null;
  }
  return drops;
}

/** Inodes of the sockets a process holds open. */
function socketInodes(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return match?.[1] === undefined ? [] : [match[1]];
      } catch {
        return []; // closed while we looked
      }
    });
  } catch {
    return [];
  }
}

/**
 * Counts the datagrams the kernel dropped at the UDP sockets of a run's children (full receive
 * buffers: a process too slow to read, e.g. on a loaded machine). Sampled while they run, since a
 * socket's counter goes with it; the machine-wide counter would also count other people's work.
 */
export interface UdpDrops {
  readonly total: number;
  /** Per child (by name), only those that dropped any. */
  readonly by: Readonly<Record<string, number>>;
}

export class UdpDropWatch {
  readonly #children: () => readonly Child[];
  readonly #seen = new Map<string, { readonly name: string; dropped: number }>();
  readonly #available = socketDrops() !== null;
  #timer: NodeJS.Timeout | null = null;

  constructor(children: () => readonly Child[], intervalMs = 250) {
    this.#children = children;
    if (this.#available) {
      this.#timer = setInterval(() => {
        this.#sample();
      }, intervalMs);
    }
  }

  /** Drops at the children's sockets; null where /proc cannot tell. Safe to call twice. */
  stop(): UdpDrops | null {
    if (!this.#available) return null;
    if (this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
      this.#sample();
    }
    let total = 0;
    const by: Record<string, number> = {};
    for (const { name, dropped } of this.#seen.values()) {
      total += dropped;
      if (dropped > 0) by[name] = (by[name] ?? 0) + dropped;
    }
    return { total, by };
  }

  #sample(): void {
    const drops = socketDrops();
    if (drops === null) return;
    for (const child of this.#children()) {
      if (!child.running || child.process.pid === undefined) continue;
      for (const inode of socketInodes(child.process.pid)) {
        const dropped = drops.get(inode);
        if (dropped === undefined) continue;
        const seen = this.#seen.get(inode);
        if (seen === undefined) this.#seen.set(inode, { name: child.name, dropped });
        else seen.dropped = Math.max(seen.dropped, dropped);
      }
    }
  }
}

/** The one-line reason this machine cannot run the SRT side, or null when it can. */
export function srtMissing(binary: string): string | null {
  const probe = spawnSync(binary, ['-version'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.error === undefined) return null;
  return `${binary} not found (${probe.error.message}): install srt-tools: make test installs it`;
}
