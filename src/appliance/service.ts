/**
 * One role of a running doorway: its outbound and inbound legs, each an actor under the runtime's
 * supervisor; a monitor actor that samples them once a second into a `RoleStatus`, feeds systemd's
 * watchdog only while the role is healthy, and re-opens the outbound session at once when the peer
 * is seen to have restarted; and the localhost operations endpoint (metrics, status JSON and, for
 * the roles that serve it, the status page).
 */
import { cpuUsage, memoryUsage } from 'node:process';
import { DuplexAudioEngine, LipSync } from '../audio/index.js';
import { System, ms, type Actor, type ActorStats, type Context, type SystemExit } from '../actors/index.js';
import type { Logger } from '../log/index.js';
import type { AudioAddon, VideoAddon } from '../media/index.js';
import {
  DoorwayMetrics,
  EventLoopDelay,
  fetchRoleStatus,
  gatherSiteStatus,
  startOpsServer,
  type HistoryPoint,
  type OpsServer,
  type PartHealth,
  type RoleName,
  type RoleStatus,
  type SecurityStatus,
  type SiteStatus,
} from '../ops/index.js';
import type { RepairCoder } from '../protocol/index.js';
import type { SessionTimings } from '../session/index.js';
import { micros } from '../units/index.js';
import { formatAddress, nowMicros } from '../udp/index.js';
import { assessHealth } from './health.js';
import { InboundLeg } from './inbound.js';
import type { LinkKeys } from './link.js';
import { addonLoader } from './leg.js';
import { OutboundLeg, type LegNotice } from './outbound.js';
import type { RolePlan } from './plan.js';

/** What the service tells its supervisor (systemd's sd_notify, or nothing outside systemd). */
export interface ServiceNotifier {
  ready(status?: string): unknown;
  status(text: string): unknown;
  watchdog(): unknown;
  stopping(): unknown;
  /** How often to feed the watchdog, ms; null when none is asked for. */
  watchdogIntervalMs(): number | null;
}

export interface DoorwayServiceOptions {
  readonly plan: RolePlan;
  /** Null only for tests and benchmarks (`--insecure`). */
  readonly keys: LinkKeys | null;
  readonly log: Logger;
  readonly notifier: ServiceNotifier;
  /** Where the operations endpoint listens (loopback); null: none. */
  readonly opsHost: string | null;
  /** The other roles' status JSON, gathered for the status page. */
  readonly otherRoles?: readonly { readonly role: RoleName; readonly url: string }[];
  readonly repair: RepairCoder;
  readonly timings?: Partial<SessionTimings>;
  readonly videoAddon?: () => VideoAddon;
  readonly audioAddon?: () => AudioAddon;
  /**
   * The video role's status JSON, for the audio role's lip sync: the sound waits for pictures that
   * another process shows. A role that plays both reads its own video leg instead.
   */
  readonly videoStatusUrl?: string;
}

type Leg = OutboundLeg | InboundLeg;
type MonitorMessage =
  { readonly kind: 'sample' } | { readonly kind: 'peer-check' } | { readonly kind: 'watchdog' };

/** Encoders, sessions and first pictures get this long before a missing one counts as stuck. */
const STARTUP_GRACE_US = 10_000_000;
/** The outbound direction counts as quiet (worth a fresh handshake) after this long unheard. */
const QUIET_US = 1_000_000;
const HISTORY_POINTS = 120;
/**
 * Latency samples come once a second (and the video role's a fetch later): a side counts as gone
 * only after three missed samples, so lip sync does not let go of its delay on one late reply.
 */
const LIP_SYNC_STALE_US = 3_500_000;

export class DoorwayService {
  readonly #options: DoorwayServiceOptions;
  readonly #system: System;
  readonly #legs = new Map<string, Leg>();
  readonly #metrics = new DoorwayMetrics();
  readonly #history: Record<'video' | 'audio', HistoryPoint[]> = { video: [], audio: [] };
  readonly #loopDelay = new EventLoopDelay(10);
  readonly #startedAt = nowMicros();
  #cpu = cpuUsage();
  #cpuAt: number = nowMicros();
  #server: OpsServer | null = null;
  #pageServer: OpsServer | null = null;
  #status: RoleStatus;
  #lastError: { atMs: number; message: string } | null = null;
  #inboundHandshakes = new Map<string, number>();
  #healthy = true;
  #lastStatusText = '';
  /** Audio waits for slower video; null when this role plays no audio. */
  readonly #lipSync: LipSync | null;
  #videoFetchInFlight = false;
  /** `atMs` of the video role's status last fed to lip sync. */
  #videoStatusAt = 0;
  /** The sound port both audio legs share, made when the first of them opens. */
  #duplexAudio: DuplexAudioEngine | null = null;

  private constructor(options: DoorwayServiceOptions) {
    this.#options = options;
    this.#system = new System({
      name: `doorway-${options.plan.role}`,
      logger: options.log,
      // A leg that fails repeatedly (a device that will not open) ends the process; systemd starts it
      // again a second later, forever. Within one process, a few quick retries first.
      restartIntensity: { maxRestarts: 5, period: ms(30_000) },
    });
    this.#lipSync = options.plan.inbound.some((i) => i.stream === 'audio')
      ? new LipSync({ staleAfterUs: micros(LIP_SYNC_STALE_US) })
      : null;
    this.#status = this.#sample();
  }

  /** Opens every device and socket, then tells the supervisor the media path is up. */
  static async start(options: DoorwayServiceOptions): Promise<DoorwayService> {
    const service = new DoorwayService(options);
    await service.#start();
    return service;
  }

  get system(): System {
    return this.#system;
  }

  /** The bound port of the operations endpoint (metrics, status JSON); null without one. */
  get opsPort(): number | null {
    return this.#server?.port ?? null;
  }

  /** The bound port of the status page; null without one. */
  get pagePort(): number | null {
    return this.#pageServer?.port ?? null;
  }

  /** The latest once-a-second snapshot. */
  status(): RoleStatus {
    return this.#status;
  }

  /** Runs until SIGTERM/SIGINT or a supervisor escalation; never exits the process itself. */
  async run(): Promise<SystemExit> {
    return this.#system.run({ exitProcess: false });
  }

  async stop(): Promise<SystemExit> {
    return this.#system.shutdown();
  }

  async #start(): Promise<void> {
    const { plan, log } = this.#options;
    this.#loopDelay.enable();
    this.#system.onShutdown(() => {
      this.#notify((n) => n.stopping());
    }, 'before-actors');
    this.#system.onShutdown(async () => {
      this.#loopDelay.disable();
      await this.#server?.close();
      await this.#pageServer?.close();
    }, 'after-actors');
    const onNotice = (notice: LegNotice): void => {
      this.#notice(notice);
    };
    const duplex = (stream: 'video' | 'audio'): { duplexAudio?: DuplexAudioEngine } => {
      const engine = stream === 'audio' ? this.#duplexAudioEngine() : undefined;
      return engine === undefined ? {} : { duplexAudio: engine };
    };
    for (const out of plan.outbound) {
      this.#spawnLeg(
        `${out.stream}-out`,
        () => new OutboundLeg({ ...this.#legOptions(), ...duplex(out.stream), plan: out, onNotice }),
      );
    }
    for (const inb of plan.inbound) {
      this.#spawnLeg(
        `${inb.stream}-in`,
        () => new InboundLeg({ ...this.#legOptions(), ...duplex(inb.stream), plan: inb, onNotice }),
      );
    }
    const monitor = this.#monitorActor();
    this.#system
      .spawn(() => monitor)
      .restart('permanent')
      .start();
    await this.#system.ready();
    if (this.#options.opsHost !== null) {
      this.#server = await startOpsServer({
        host: this.#options.opsHost,
        port: plan.opsPort,
        metrics: this.#metrics,
        status: () => this.#status,
        site: () => this.#siteStatus(),
        page: false,
        log,
      });
      if (plan.statusPagePort !== null) {
        this.#pageServer = await startOpsServer({
          host: this.#options.opsHost,
          port: plan.statusPagePort,
          status: () => this.#status,
          site: () => this.#siteStatus(),
          page: true,
          log,
        });
      }
    }
    this.#status = this.#sample();
    this.#notify((n) => n.ready(`media path up; ${this.#status.notFlowingBecause ?? 'media flowing'}`));
    log.info({ role: plan.role, legs: [...this.#legs.keys()], ops: this.opsPort }, 'doorway role up');
  }

  /** The monitor: samples, checks for a restarted peer, and feeds the watchdog while healthy. */
  #monitorActor(): Actor<MonitorMessage> {
    return {
      name: 'monitor',
      started: (ctx: Context<MonitorMessage>) => {
        ctx.sendEvery({ kind: 'sample' }, ms(1000));
        ctx.sendEvery({ kind: 'peer-check' }, ms(200));
        const interval = this.#options.notifier.watchdogIntervalMs();
        if (interval !== null) ctx.sendEvery({ kind: 'watchdog' }, ms(Math.max(100, interval)));
      },
      handle: (_ctx, message) => {
        switch (message.kind) {
          case 'sample':
            this.#onSample();
            break;
          case 'peer-check':
            this.#peerCheck();
            break;
          case 'watchdog':
            if (this.#healthy) this.#notify((n) => n.watchdog());
            break;
        }
      },
      priority: (message) => (message.kind === 'watchdog' ? 'control' : 'normal'),
    };
  }

  #legOptions(): Pick<
    ConstructorParameters<typeof OutboundLeg>[0],
    'keys' | 'repair' | 'timings' | 'videoAddon' | 'audioAddon'
  > {
    const o = this.#options;
    return {
      keys: o.keys,
      repair: o.repair,
      ...(o.timings === undefined ? {} : { timings: o.timings }),
      ...(o.videoAddon === undefined ? {} : { videoAddon: o.videoAddon }),
      ...(o.audioAddon === undefined ? {} : { audioAddon: o.audioAddon }),
    };
  }

  /** The audio legs' shared port; made on first use so a missing addon fails the leg, not the role. */
  #duplexAudioEngine(): DuplexAudioEngine | undefined {
    const plan = this.#options.plan.duplexAudio;
    if (plan === null) return undefined;
    this.#duplexAudio ??= new DuplexAudioEngine({
      addon: addonLoader(this.#options.audioAddon, 'audio')(),
      port: plan.port,
      codec: 'opus',
      bitrateBps: plan.bitrateBps,
      blockFrames: 240,
      echoCancel: plan.echoCancel,
      ...plan.echoLayout,
    });
    return this.#duplexAudio;
  }

  /** A leg as an actor: opened in `started`, closed in `stopped`, rebuilt by the supervisor on failure. */
  #spawnLeg(name: string, open: () => Leg): void {
    const legs = this.#legs;
    const record = (message: string): void => {
      this.#recordError(`${name}: ${message}`);
    };
    this.#system
      .spawn((): Actor<never> => {
        let leg: Leg | null = null;
        return {
          name,
          async started() {
            try {
              leg = open();
              await leg.start();
            } catch (err) {
              record(messageOf(err));
              // Half open (its socket bound, its side of the shared sound port taken): closed
              // here, for the supervisor's next try opens it all again.
              await leg?.close().catch(() => undefined);
              leg = null;
              throw err;
            }
            legs.set(name, leg);
          },
          async stopped() {
            legs.delete(name);
            await leg?.close();
          },
          handle() {
            // A leg's work arrives from its socket and its native threads, not through the mailbox.
          },
        };
      })
      .restart('permanent')
      .start();
  }

  #notice(notice: LegNotice): void {
    switch (notice.kind) {
      case 'device-lost':
        this.#recordError(`${notice.device} lost: ${notice.detail}`);
        this.#options.log.warn({ device: notice.device, detail: notice.detail }, 'device lost');
        break;
      case 'device-back':
        this.#options.log.info({ device: notice.device }, 'device back');
        break;
      case 'error':
        this.#recordError(notice.message);
        break;
    }
  }

  /** A failed notification is reported, never fatal: media matters more than telling systemd. */
  #notify(call: (notifier: ServiceNotifier) => unknown): void {
    try {
      call(this.#options.notifier);
    } catch (err) {
      this.#recordError(`sd_notify: ${messageOf(err)}`);
    }
  }

  #recordError(message: string): void {
    this.#lastError = { atMs: Date.now(), message };
    this.#options.log.warn({ error: message }, 'doorway error');
  }

  /**
   * The peer restarted when it opens a new session to one of our inbound legs: it lost the keys our
   * outbound legs use. Those then handshake at once instead of waiting out the silence timer.
   */
  #peerCheck(): void {
    const now = nowMicros();
    let reopened = false;
    for (const [name, leg] of this.#legs) {
      if (!(leg instanceof InboundLeg)) continue;
      const count = leg.link.handshakes;
      const before = this.#inboundHandshakes.get(name) ?? 0;
      if (count > before) reopened = true;
      this.#inboundHandshakes.set(name, count);
    }
    if (!reopened) return;
    for (const leg of this.#legs.values()) {
      if (!(leg instanceof OutboundLeg)) continue;
      const heard = leg.link.lastHeardAt;
      if (heard === null || now - heard > QUIET_US) leg.link.requestHandshake();
    }
  }

  #onSample(): void {
    this.#status = this.#sample();
    this.#syncLips(this.#status);
    this.#metrics.update(this.#status);
    const text = this.#status.notFlowingBecause ?? 'media flowing both ways';
    if (text !== this.#lastStatusText) {
      this.#lastStatusText = text;
      this.#notify((n) => n.status(text));
    }
  }

  /**
   * Lip sync, once a second: this role's audio latency, and the pictures' from its own video leg or
   * from the video role's status; the audio buffer then keeps at least the delay that lines them up.
   */
  #syncLips(status: RoleStatus): void {
    const sync = this.#lipSync;
    if (sync === null) return;
    const now = micros(nowMicros());
    const audio = status.inbound.find((i) => i.stream === 'audio');
    const audioMs = audio?.flowing === true ? audio.latencyMs.p50 : null;
    if (audioMs !== null && audioMs >= 0) sync.addAudioLatency(now, micros(Math.round(audioMs * 1000)));
    const video = status.inbound.find((i) => i.stream === 'video');
    if (video !== undefined) this.#addVideoLatency(video);
    else if (this.#options.videoStatusUrl !== undefined)
      this.#fetchVideoLatency(this.#options.videoStatusUrl);
    const delay = sync.update(now);
    for (const leg of this.#legs.values()) {
      if (leg instanceof InboundLeg && leg.plan.stream === 'audio') leg.setLipSyncDelayUs(delay);
    }
  }

  #addVideoLatency(video: RoleStatus['inbound'][number]): void {
    const ms = video.flowing ? video.latencyMs.p50 : null;
    if (ms === null || ms < 0) return;
    this.#lipSync?.addVideoLatency(micros(nowMicros()), micros(Math.round(ms * 1000)));
  }

  /** One fetch at a time; a failed one is skipped (the video role may be restarting). */
  #fetchVideoLatency(url: string): void {
    if (this.#videoFetchInFlight) return;
    this.#videoFetchInFlight = true;
    void fetchRoleStatus(url, 800)
      .then((result) => {
        if (!result.ok || result.status.atMs === this.#videoStatusAt) return;
        this.#videoStatusAt = result.status.atMs;
        const video = result.status.inbound.find((i) => i.stream === 'video');
        if (video !== undefined) this.#addVideoLatency(video);
      })
      .catch((err: unknown) => {
        this.#recordError(`lip sync: ${messageOf(err)}`);
      })
      .finally(() => {
        this.#videoFetchInFlight = false;
      });
  }

  #sample(): RoleStatus {
    const now = nowMicros();
    const { plan } = this.#options;
    const outbound = [];
    const inbound = [];
    const outHealth = [];
    const inHealth = [];
    let security: SecurityStatus = {
      handshakes: 0,
      rekeys: 0,
      rejectedAuth: 0,
      rejectedReplay: 0,
      rejectedMalformed: 0,
    };
    for (const leg of this.#legs.values()) {
      const s = leg.link.security();
      security = {
        handshakes: security.handshakes + s.handshakes,
        rekeys: security.rekeys + s.rekeys,
        rejectedAuth: security.rejectedAuth + s.rejectedAuth,
        rejectedReplay: security.rejectedReplay + s.rejectedReplay,
        rejectedMalformed: security.rejectedMalformed + s.rejectedMalformed,
      };
      if (leg instanceof OutboundLeg) {
        const st = leg.status(now);
        outbound.push(st);
        outHealth.push({
          stream: st.stream,
          producing: st.producing,
          deviceLost: leg.deviceLost,
          sessionUp: st.session === 'established' || st.session === 'insecure',
          peer: formatAddress(leg.plan.to),
          initiationsSent: leg.link.initiationsSent,
        });
      } else {
        const st = leg.status(now);
        inbound.push(st);
        inHealth.push({
          stream: st.stream,
          flowing: st.flowing,
          stuck: leg.stuck(now),
          listen: formatAddress(leg.link.bound ?? leg.plan.listen),
          heardAgoMs: st.lastHeardAgoMs,
        });
        const points = this.#history[st.stream];
        points.push({
          atMs: Date.now(),
          latencyMs: st.latencyMs.p50,
          lossPercent: st.lossPercent,
          bitrateBps: st.bitrateBps,
        });
        if (points.length > HISTORY_POINTS) points.shift();
      }
    }
    const expected = plan.outbound.length + plan.inbound.length;
    const verdict = assessHealth({
      peerSite: plan.peerSite,
      startingUp: now - this.#startedAt < STARTUP_GRACE_US,
      outbound: outHealth,
      inbound: inHealth,
    });
    const missing = expected - this.#legs.size;
    this.#healthy = verdict.feedWatchdog;
    const notFlowing =
      missing > 0
        ? [`${missing} part${missing === 1 ? ' is' : 's are'} restarting`, verdict.notFlowingBecause]
            .filter((t) => t !== null)
            .join('; ')
        : verdict.notFlowingBecause;
    return {
      role: plan.role,
      site: plan.site,
      peer: {
        site: plan.peerSite,
        address: plan.outbound[0] === undefined ? '' : formatAddress(plan.outbound[0].to),
      },
      atMs: Date.now(),
      outbound,
      inbound,
      parts: this.#parts(),
      security,
      process: this.#process(now),
      lastError: this.#lastError,
      notFlowingBecause: notFlowing,
      history: { video: [...this.#history.video], audio: [...this.#history.audio] },
    };
  }

  #parts(): PartHealth[] {
    let stats: ActorStats[] = [];
    try {
      stats = this.#system.stats();
    } catch {
      // Before the first spawn completes there is nothing to report.
    }
    return stats.map((s) => ({
      name: s.name,
      state:
        s.state === 'running' || s.state === 'starting'
          ? 'running'
          : s.state === 'restarting'
            ? 'restarting'
            : 'stopped',
      restarts: s.restarts,
      handled: s.handled,
      dropped: s.droppedOnFull,
      handleP99Us: s.handleTimeP99Us,
    }));
  }

  #process(now: number): RoleStatus['process'] {
    const memory = memoryUsage();
    const cpu = cpuUsage(this.#cpu);
    const elapsedUs = Math.max(1, now - this.#cpuAt);
    this.#cpu = cpuUsage();
    this.#cpuAt = now;
    const figures = this.#loopDelay.take();
    return {
      pid: process.pid,
      uptimeS: Math.round((now - this.#startedAt) / 1e6),
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      eventLoopDelayMs: figures,
      cpuPercent: Math.round(((cpu.user + cpu.system) / elapsedUs) * 1000) / 10,
    };
  }

  async #siteStatus(): Promise<SiteStatus> {
    const own = this.#status;
    return gatherSiteStatus({
      site: own.site,
      peer: own.peer,
      local: [{ role: own.role, status: () => this.#status }],
      remote: this.#options.otherRoles ?? [],
      timeoutMs: 500,
    });
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
