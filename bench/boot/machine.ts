/**
 * One booted doorway site for the boot test: a copy of the disk image booted by systemd-nspawn
 * with systemd as PID 1, in a network namespace of its own that is wired only to the other
 * site's. Everything is read from outside: systemctl and the journal through nsenter into the
 * machine's namespaces, files through /proc/PID/root, HTTP from inside its network namespace.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export class BootError extends Error {
  override readonly name = 'BootError';
}

export interface MachineOptions {
  /** The machine name (also its network namespace and log file name). */
  readonly name: string;
  /** The disk image this machine boots (its own copy: it is written to). */
  readonly image: string;
  /** Where the console and nspawn's own messages go. */
  readonly consoleLog: string;
  /** A folder for the machine's mounted root and its boot partition's files. */
  readonly workDir: string;
}

interface Partition {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
}

/** The image's GPT partitions, by name, from sfdisk. */
export function partitionsOf(image: string): Map<string, Partition> {
  const table = (
    JSON.parse(must('sfdisk', ['-J', image])) as {
      partitiontable: { sectorsize?: number; partitions?: { name?: string; start: number; size: number }[] };
    }
  ).partitiontable;
  const sector = table.sectorsize ?? 512;
  const out = new Map<string, Partition>();
  for (const p of table.partitions ?? []) {
    const name = p.name ?? '';
    out.set(name, { name, offset: p.start * sector, size: p.size * sector });
  }
  return out;
}

/** The mtools address of a FAT partition inside an image file: `IMAGE@@OFFSET`. */
export function fatAt(image: string, partition = 'doorway-esp'): string {
  const p = partitionsOf(image).get(partition);
  if (p === undefined) throw new BootError(`${image}: no ${partition} partition`);
  return `${image}@@${String(p.offset)}`;
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], timeoutMs = 30_000): CommandResult {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a host command that must succeed; a failure is a BootError with its first line. */
export function must(command: string, args: readonly string[], timeoutMs = 30_000): string {
  const r = run(command, args, timeoutMs);
  if (r.code !== 0) {
    const why = (r.stderr.trim() || r.stdout.trim()).split('\n')[0] ?? '';
    throw new BootError(`${command} ${args.join(' ')}: exit ${String(r.code)}: ${why}`);
  }
  return r.stdout;
}

/** Polls `probe` every `everyMs` until it returns a value that is not null, or throws at `timeoutMs`. */
export async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => T | null | Promise<T | null>,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new BootError(`timed out after ${String(timeoutMs)} ms: ${what}`);
    await sleep(everyMs);
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${String(pid)}/task`)) {
      const text = readFileSync(`/proc/${String(pid)}/task/${task}/children`, 'utf8').trim();
      for (const child of text.split(/\s+/)) if (child !== '') out.push(Number(child));
    }
  } catch {
    // Gone already.
  }
  return out;
}

export class Machine {
  readonly name: string;
  readonly image: string;
  #nspawn: ChildProcess | null = null;
  #leader: number | null = null;
  #exited: Promise<number> | null = null;
  readonly #consoleLog: string;
  readonly #workDir: string;

  constructor(options: MachineOptions) {
    this.name = options.name;
    this.image = options.image;
    this.#consoleLog = options.consoleLog;
    this.#workDir = options.workDir;
  }

  get #rootDir(): string {
    return `${this.#workDir}/${this.name}.root`;
  }

  get #espDir(): string {
    return `${this.#workDir}/${this.name}.esp`;
  }

  /**
   * The image's boot partition's files copied out with mtools (these machines' kernels have no
   * FAT driver), to appear at /efi read-only as the fstab entry would mount it. Returns the root
   * partition's place in the image.
   */
  #prepare(): { offset: number; size: number } {
    const parts = partitionsOf(this.image);
    const root = parts.get('doorway-root');
    if (root === undefined || !parts.has('doorway-esp')) {
      throw new BootError(`${this.image}: not a doorway image (no doorway-root and doorway-esp partitions)`);
    }
    mkdirSync(this.#rootDir, { recursive: true });
    rmSync(this.#espDir, { recursive: true, force: true });
    mkdirSync(this.#espDir, { recursive: true });
    must('mcopy', ['-s', '-n', '-i', fatAt(this.image), '::/*', `${this.#espDir}/`]);
    return root;
  }

  /**
   * Waits until no loop device holds the image: the root was mounted in the machine's own mount
   * namespace, which ends with nspawn, and the loop device frees itself after (autoclear). Until
   * then the file system may still write, and nothing may replace its partition (an upgrade).
   */
  async #released(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (must('losetup', ['-j', this.image]).trim() === '') return;
      if (attempt >= 100) throw new BootError(`${this.name}: ${this.image} is still attached after 10 s`);
      await sleep(100);
    }
  }

  /** The network namespace the machine boots in; made once, wired by the caller. */
  get netns(): string {
    return this.name;
  }

  /** Host-side realtime (ms) at which nspawn was started. */
  startedAtMs = 0;

  /** Boots the image; resolves once the machine's PID 1 is systemd. */
  async boot(): Promise<void> {
    const root = this.#prepare();
    const log = createWriteStream(this.#consoleLog, { flags: 'a' });
    this.startedAtMs = Date.now();
    // The root is mounted in a mount namespace of this machine's alone: mounted on the host, it
    // would be copied into every machine booted after it, and live on there after its own
    // machine had stopped, writing stale blocks over an upgrade.
    const child = spawn(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        '--',
        'sh',
        '-c',
        'image=$1 dir=$2 options=$3; shift 3; mount -o "$options" "$image" "$dir" && exec systemd-nspawn "$@"',
        'doorway-boot',
        this.image,
        this.#rootDir,
        `loop,offset=${String(root.offset)},sizelimit=${String(root.size)}`,
        `--directory=${this.#rootDir}`,
        `--bind-ro=${this.#espDir}:/efi`,
        `--machine=${this.name}`,
        '--boot',
        // No systemd on this host to register with or to make a scope: the machine's own
        // systemd is the one under test.
        '--register=no',
        '--keep-unit',
        `--network-namespace-path=/run/netns/${this.netns}`,
        // Its own network namespace, so the network manager may configure it (networkd's
        // ConditionCapability): nspawn grants CAP_NET_ADMIN only with a private network of its own.
        '--capability=CAP_NET_ADMIN',
        '--console=read-only',
        '--quiet',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    this.#nspawn = child;
    this.#exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        resolve(code ?? (signal === null ? -1 : 128));
      }),
    );
    const nspawnPid = child.pid;
    if (nspawnPid === undefined) throw new BootError(`${this.name}: systemd-nspawn did not start`);
    this.#leader = await until(`${this.name}: systemd as the machine's PID 1`, 30_000, () => {
      if (child.exitCode !== null) {
        throw new BootError(
          `${this.name}: systemd-nspawn exited with ${String(child.exitCode)} before booting; see ${this.#consoleLog}`,
        );
      }
      // nspawn forks the payload (sometimes through an intermediate child): find the systemd.
      const queue = childrenOf(nspawnPid);
      for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
        try {
          if (readFileSync(`/proc/${String(pid)}/comm`, 'utf8').trim() === 'systemd') return pid;
        } catch {
          continue;
        }
        queue.push(...childrenOf(pid));
      }
      return null;
    });
  }

  get leader(): number {
    if (this.#leader === null) throw new BootError(`${this.name} is not booted`);
    return this.#leader;
  }

  /** A path inside the running machine, as the host sees it. */
  path(inside: string): string {
    return `/proc/${String(this.leader)}/root${inside}`;
  }

  /** Runs a command inside the machine (all of its namespaces), as root. */
  exec(args: readonly string[], timeoutMs = 30_000): CommandResult {
    return run('nsenter', ['-t', String(this.leader), '-a', '--', ...args], timeoutMs);
  }

  /** Like `exec`, but the command must succeed. */
  execOk(args: readonly string[], timeoutMs = 30_000): string {
    const r = this.exec(args, timeoutMs);
    if (r.code !== 0) {
      const why = (r.stderr.trim() || r.stdout.trim()).split('\n')[0] ?? '';
      throw new BootError(`${this.name}: ${args.join(' ')}: exit ${String(r.code)}: ${why}`);
    }
    return r.stdout;
  }

  /** `systemctl show UNIT -p NAME...` as a map; unit '' asks the manager itself. */
  show(unit: string, properties: readonly string[]): Map<string, string> {
    const out = this.execOk([
      'systemctl',
      'show',
      ...(unit === '' ? [] : [unit]),
      ...properties.map((p) => `--property=${p}`),
    ]);
    const map = new Map<string, string>();
    for (const line of out.split('\n')) {
      const at = line.indexOf('=');
      if (at > 0) map.set(line.slice(0, at), line.slice(at + 1));
    }
    return map;
  }

  /** GET http://127.0.0.1:PORT/PATH inside the machine's network, parsed as JSON; null if none. */
  getJson(port: number, path: string): unknown {
    const r = run(
      'ip',
      [
        'netns',
        'exec',
        this.netns,
        'curl',
        '-s',
        '--max-time',
        '1',
        `http://127.0.0.1:${String(port)}${path}`,
      ],
      5000,
    );
    if (r.code !== 0 || r.stdout === '') return null;
    try {
      return JSON.parse(r.stdout) as unknown;
    } catch {
      return null;
    }
  }

  /** Powers the machine off through its systemd and waits for nspawn to end. */
  async powerOff(timeoutMs = 60_000): Promise<void> {
    const exited = this.#exited;
    if (exited === null) return;
    this.exec(['systemctl', 'poweroff', '--no-block']);
    const done = await Promise.race([exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!done) {
      await this.kill();
      throw new BootError(`${this.name}: did not power off within ${String(timeoutMs)} ms`);
    }
    this.#nspawn = null;
    this.#leader = null;
    this.#exited = null;
    await this.#released();
  }

  /** Ends the machine however it is (cleanup after a failure). */
  async kill(): Promise<void> {
    const exited = this.#exited;
    if (exited === null) return;
    this.#nspawn?.kill('SIGKILL');
    await exited;
    this.#nspawn = null;
    this.#leader = null;
    this.#exited = null;
    await this.#released();
  }
}

/** The two sites' network: a namespace each, joined by one veth pair and nothing else. */
export function wireNamespaces(a: string, b: string): void {
  for (const ns of [a, b]) {
    if (existsSync(`/run/netns/${ns}`)) must('ip', ['netns', 'delete', ns]);
    must('ip', ['netns', 'add', ns]);
  }
  must('ip', ['link', 'add', `${a}0`, 'netns', a, 'type', 'veth', 'peer', 'name', `${b}0`, 'netns', b]);
  for (const ns of [a, b]) must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
}

export function unwireNamespaces(names: readonly string[]): void {
  for (const ns of names) if (existsSync(`/run/netns/${ns}`)) run('ip', ['netns', 'delete', ns]);
}
