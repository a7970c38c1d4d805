/** A site of a pair run inside the test process: its service's snapshots are read directly. */
import { launchRole, type DoorwayService, type ServiceNotifier } from '../../src/appliance/index.js';
import { createLogRoot } from '../../src/log/index.js';
import type { RoleName } from '../../src/ops/index.js';
import type { PairSite } from '../../src/tools/site-pair.js';
import { transportRepair } from '../../src/tools/repair.js';
import { loadAudioAddon, loadVideoAddon } from '../../src/tools/sender.js';
import { HARDWARE } from './tree.js';

/** A notifier that remembers what it was told, as systemd would see it. */
export class RecordingNotifier implements ServiceNotifier {
  readonly calls: {
    readonly kind: 'ready' | 'status' | 'watchdog' | 'stopping';
    readonly at: number;
    readonly text?: string;
  }[] = [];
  readonly #intervalMs: number | null;

  constructor(watchdogIntervalMs: number | null = 200) {
    this.#intervalMs = watchdogIntervalMs;
  }

  ready(status?: string): void {
    this.calls.push({ kind: 'ready', at: Date.now(), ...(status === undefined ? {} : { text: status }) });
  }
  status(text: string): void {
    this.calls.push({ kind: 'status', at: Date.now(), text });
  }
  watchdog(): void {
    this.calls.push({ kind: 'watchdog', at: Date.now() });
  }
  stopping(): void {
    this.calls.push({ kind: 'stopping', at: Date.now() });
  }
  watchdogIntervalMs(): number | null {
    return this.#intervalMs;
  }

  count(kind: 'ready' | 'status' | 'watchdog' | 'stopping', since = 0): number {
    return this.calls.filter((c) => c.kind === kind && c.at >= since).length;
  }
}

/** Starts one site, every stream (or one role's) in this process, with a recording notifier. */
export async function startSiteInProcess(
  site: PairSite,
  notifier: RecordingNotifier = new RecordingNotifier(),
  opsHost: string | null = null,
  role: RoleName = 'all',
): Promise<{ service: DoorwayService; notifier: RecordingNotifier }> {
  const log = createLogRoot({ level: 'warn' }).component(site.name);
  const { service } = await launchRole({
    siteFile: site.file,
    role,
    hardwareDir: HARDWARE,
    stateDir: site.stateDir,
    listenHost: site.host,
    opsHost,
    notifier,
    log,
    repair: transportRepair(),
    videoAddon: loadVideoAddon,
    audioAddon: loadAudioAddon,
  });
  return { service, notifier };
}

/** Polls `read` every 20 ms until it returns non-null; rejects after `timeoutMs`. */
export async function until<T>(what: string, read: () => T | null, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
