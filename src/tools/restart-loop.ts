/**
 * A process kept alive the way systemd keeps a `Restart=always` service alive: whenever it exits,
 * for any reason, it is started again after `RestartSec`. Used by the site pair (`make demo`), the
 * fault-recovery tests and `bench/soak`, which must behave as the appliance does without systemd.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface RestartLoopOptions {
  /** A name for messages. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** systemd's RestartSec, ms (default 1000). */
  readonly restartDelayMs?: number;
  /** Each line the process writes to stderr (its one-line errors and notices). */
  readonly onStderr?: (line: string) => void;
  /** Each line it writes to stdout (its JSON log). */
  readonly onStdout?: (line: string) => void;
}

export class RestartLoop {
  readonly #options: RestartLoopOptions;
  #child: ChildProcess | null = null;
  #starts = 0;
  #stopping = false;
  #timer: NodeJS.Timeout | null = null;
  #exits: { code: number | null; signal: NodeJS.Signals | null }[] = [];
  #exited: Promise<void> = Promise.resolve();

  constructor(options: RestartLoopOptions) {
    this.#options = options;
  }

  get name(): string {
    return this.#options.name;
  }

  /** The running process, or null between an exit and the restart. */
  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** How many times the process was started (1 before any restart). */
  get starts(): number {
    return this.#starts;
  }

  /** How each run ended, oldest first. */
  get exits(): readonly { code: number | null; signal: NodeJS.Signals | null }[] {
    return this.#exits;
  }

  start(): void {
    if (this.#stopping || this.#child !== null) return;
    const child = spawn(this.#options.command, [...this.#options.args], {
      env: this.#options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#starts++;
    this.#child = child;
    const onStdout = this.#options.onStdout;
    const onStderr = this.#options.onStderr;
    createInterface({ input: child.stdout }).on('line', (line) => onStdout?.(line));
    createInterface({ input: child.stderr }).on('line', (line) => onStderr?.(line));
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exits.push({ code, signal });
        this.#child = null;
        if (!this.#stopping) {
          this.#timer = setTimeout(() => {
            this.#timer = null;
            this.start();
          }, this.#options.restartDelayMs ?? 1000);
        }
        resolve();
      });
    });
  }

  /** Sends a signal to the running process (SIGKILL: the fault the loop must recover from). */
  kill(signal: NodeJS.Signals): boolean {
    return this.#child?.kill(signal) ?? false;
  }

  /** SIGTERM and no more restarts; SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 8000): Promise<void> {
    this.#stopping = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    const child = this.#child;
    if (child === null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(killer);
  }
}
