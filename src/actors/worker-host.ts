/**
 * Entry point of a worker thread that hosts one actor. The supervisor (in the thread that spawned it)
 * decides restarts; this side runs the cell, reports `started`/`exited`, and obeys `restart`/`stop`.
 */
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createLogRoot } from '../log/index.js';
import type { Actor, ShutdownOptions, SystemHandle } from './actor.js';
import { isAttachRequest } from './addr.js';
import { ActorCell, type CellHost } from './cell.js';
import { realClock } from './clock.js';
import { scheduler } from './scheduler.js';
import { SpawnError } from './errors.js';
import {
  isWorkerBoot,
  toWireExit,
  unpackArgs,
  type FromWorker,
  type ToWorker,
  type WorkerBoot,
} from './worker-protocol.js';

type ActorConstructor = new (...args: unknown[]) => Actor<unknown>;

function isLevel(level: string): level is 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent' {
  return ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level);
}

function host(boot: WorkerBoot, port: MessagePort): void {
  const post = (message: FromWorker): void => {
    scheduler.flushPending(); // What the actor sent before this notice goes first.
    port.postMessage(message);
  };
  let shuttingDown = false;
  const system: SystemHandle = {
    name: boot.systemName,
    get shuttingDown(): boolean {
      return shuttingDown;
    },
    requestShutdown(options: ShutdownOptions = {}): void {
      shuttingDown = true;
      post({ t: 'shutdown', reason: options.reason, exitCode: options.exitCode });
    },
  };
  const cellHost: CellHost<unknown> = {
    system,
    started: () => {
      post({ t: 'started' });
    },
    exited: (_cell, exit) => {
      post({ t: 'exited', exit: toWireExit(exit) });
    },
  };
  const level = isLevel(boot.logLevel) ? boot.logLevel : 'info';
  const logRoot = createLogRoot(level === 'silent' ? { level: 'fatal' } : { level });
  const logger = logRoot.component('actors').child({ actor: boot.name });
  if (level === 'silent') logger.level = 'silent';
  const cell = new ActorCell<unknown>({
    name: boot.name,
    capacities: boot.capacities,
    priority: null,
    clock: realClock,
    logger,
    host: cellHost,
    counts: new Int32Array(boot.counts),
    stats: new Float64Array(boot.stats),
  });
  const args = unpackArgs(boot.args);
  const factory = async (): Promise<Actor<unknown>> => {
    const module = (await import(boot.module)) as Record<string, unknown>;
    const exported = module[boot.exportName];
    if (typeof exported !== 'function') {
      throw new SpawnError(
        boot.name,
        `module ${boot.module} has no export '${boot.exportName}' that is a class`,
      );
    }
    return new (exported as ActorConstructor)(...args);
  };
  cell.hostPorts(boot.lanes, null, true);
  port.on('message', (message: unknown) => {
    if (isAttachRequest(message)) {
      cell.hostPorts(message.lanes, message.attach, false);
      return;
    }
    const command = message as ToWorker;
    switch (command.t) {
      case 'restart':
        cell.restart(factory);
        break;
      case 'stop':
        shuttingDown = true;
        void cell.shutdown().then(() => {
          post({ t: 'closed' });
        });
        break;
    }
  });
  cell.start(factory);
}

if (!isMainThread && parentPort !== null && isWorkerBoot(workerData)) host(workerData, parentPort);
