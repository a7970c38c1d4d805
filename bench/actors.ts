/**
 * `npm run bench:actors`: throughput and hop latency of the actor runtime, with raw
 * `MessagePort.postMessage` measured side by side as the baseline. Several rounds; medians reported.
 *
 * This file is also the module its worker actors are loaded from (`BenchCounter`), and the body of the
 * raw baseline's worker thread.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MessageChannel, Worker, isMainThread, workerData, type MessagePort } from 'node:worker_threads';
import { createLogRoot } from '../src/log/index.js';
import { System, type Actor, type Addr, type Context } from '../src/actors/index.js';
import { publish, target } from './results.js';

const ROUNDS = 7;
const IN_LOOP_MESSAGES = 1_000_000;
const HOP_SAMPLES = 20_000;
const WORKER_SMALL_MESSAGES = 200_000;
const WORKER_BUFFER_MESSAGES = 20_000;
const BUFFER_BYTES = 64 * 1024;
const CAPACITY = 4096;

type CounterMessage =
  | { readonly kind: 'arm'; readonly count: number }
  | { readonly kind: 'tick'; readonly seq: number }
  | { readonly kind: 'buffer'; readonly buffer: ArrayBuffer };

/** Counts messages and says `done` once it has seen as many as it was armed for. */
export class BenchCounter implements Actor<CounterMessage> {
  readonly name = 'bench-counter';
  readonly #done: Addr<string>;
  #expected = 0;
  #received = 0;
  #bytes = 0;

  constructor(done: Addr<string>) {
    this.#done = done;
  }

  handle(_ctx: Context<CounterMessage>, message: CounterMessage): void {
    switch (message.kind) {
      case 'arm':
        this.#expected = message.count;
        this.#received = 0;
        this.#bytes = 0;
        return;
      case 'tick':
        break;
      case 'buffer':
        this.#bytes += message.buffer.byteLength;
        break;
    }
    if (++this.#received === this.#expected) this.#done.send(`done ${this.#bytes}`);
  }
}

interface RawBoot {
  readonly $rawBaseline: 1;
  readonly port: MessagePort;
}

function isRawBoot(value: unknown): value is RawBoot {
  return (
    typeof value === 'object' && value !== null && (value as { $rawBaseline?: unknown }).$rawBaseline === 1
  );
}

/** The raw baseline's worker: the same counting, straight on a MessagePort. */
function rawWorker(port: MessagePort): void {
  let expected = 0;
  let received = 0;
  let bytes = 0;
  port.on('message', (message: CounterMessage) => {
    switch (message.kind) {
      case 'arm':
        expected = message.count;
        received = 0;
        bytes = 0;
        return;
      case 'tick':
        break;
      case 'buffer':
        bytes += message.buffer.byteLength;
        break;
    }
    if (++received === expected) port.postMessage(`done ${bytes}`);
  });
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function quantile(sorted: Float64Array, fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? 0;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function newSystem(): System {
  const logger = createLogRoot({ destination: { write: () => undefined }, level: 'fatal' }).component(
    'bench',
  );
  logger.level = 'silent';
  return new System({ name: 'bench', logger });
}

/** In-loop throughput: a driver fills the mailbox until `full`, yields a turn, and goes on. */
async function inLoopThroughput(): Promise<number> {
  const system = newSystem();
  let handled = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const counter = system
    .spawn((): Actor<number> => ({
      name: 'counter',
      handle: () => {
        if (++handled === IN_LOOP_MESSAGES) finish();
      },
    }))
    .capacity({ normal: CAPACITY })
    .start();
  await system.ready();
  const started = performance.now();
  let sent = 0;
  while (sent < IN_LOOP_MESSAGES) {
    while (sent < IN_LOOP_MESSAGES && counter.send(sent).ok) sent++;
    await nextTurn();
  }
  await finished;
  const elapsed = performance.now() - started;
  await system.shutdown();
  return (IN_LOOP_MESSAGES / elapsed) * 1000;
}

interface HopLatency {
  /** From `send()` by code outside any actor (an I/O callback) to `handle()` of an idle actor. */
  readonly wakeP50Us: number;
  readonly wakeP99Us: number;
  /** From `send()` in one actor's handler to `handle()` of the next. */
  readonly chainP50Us: number;
  readonly chainP99Us: number;
}

async function hopLatency(): Promise<HopLatency> {
  const system = newSystem();
  const wake = new Float64Array(HOP_SAMPLES);
  const chain = new Float64Array(HOP_SAMPLES);
  let wakeCount = 0;
  let chainCount = 0;
  const last = system
    .spawn((): Actor<number> => ({
      name: 'last',
      handle: (_ctx: Context<number>, sentAt: number) => {
        if (chainCount < HOP_SAMPLES) chain[chainCount++] = performance.now() - sentAt;
      },
    }))
    .start();
  const first = system
    .spawn((): Actor<number> => ({
      name: 'first',
      handle: (_ctx: Context<number>, sentAt: number) => {
        if (wakeCount < HOP_SAMPLES) wake[wakeCount++] = performance.now() - sentAt;
        last.send(performance.now());
      },
    }))
    .start();
  await system.ready();
  for (let i = 0; i < 1000; i++) {
    first.send(performance.now());
    await nextTurn();
  }
  wakeCount = 0;
  chainCount = 0;
  while (wakeCount < HOP_SAMPLES) {
    first.send(performance.now());
    await nextTurn();
  }
  await system.shutdown();
  wake.sort();
  chain.sort();
  return {
    wakeP50Us: quantile(wake, 0.5) * 1000,
    wakeP99Us: quantile(wake, 0.99) * 1000,
    chainP50Us: quantile(chain, 0.5) * 1000,
    chainP99Us: quantile(chain, 0.99) * 1000,
  };
}

type Payload = 'small' | 'buffer';

function payload(
  kind: Payload,
  seq: number,
): { message: CounterMessage; transfer: ArrayBuffer[] | undefined } {
  switch (kind) {
    case 'small':
      return { message: { kind: 'tick', seq }, transfer: undefined };
    case 'buffer': {
      const buffer = new ArrayBuffer(BUFFER_BYTES);
      return { message: { kind: 'buffer', buffer }, transfer: [buffer] };
    }
  }
}

/** One worker actor, fed by a driver that sends until `full` and then yields a turn. */
class ActorWorkerBench {
  readonly #system = newSystem();
  readonly #counter: Addr<CounterMessage>;
  #onDone: (text: string) => void = () => undefined;

  constructor() {
    const done = this.#system
      .spawn((): Actor<string> => ({
        name: 'done',
        handle: (_ctx: Context<string>, text: string) => {
          this.#onDone(text);
        },
      }))
      .start();
    this.#counter = this.#system
      .spawn<typeof BenchCounter>({ module: new URL(import.meta.url), export: 'BenchCounter', args: [done] })
      .placement('worker')
      .capacity({ normal: CAPACITY })
      .start();
  }

  async ready(): Promise<void> {
    await this.#system.ready();
  }

  async run(kind: Payload, count: number): Promise<number> {
    const done = new Promise<string>((resolve) => (this.#onDone = resolve));
    this.#counter.sendOrThrow({ kind: 'arm', count });
    await nextTurn();
    const started = performance.now();
    let sent = 0;
    while (sent < count) {
      for (;;) {
        if (sent >= count) break;
        const { message, transfer } = payload(kind, sent);
        if (!this.#counter.send(message, transfer).ok) break;
        sent++;
      }
      // Full: this producer chooses to wait a little rather than spin (the worker has a mailbox of work).
      if (sent < count) await sleep(1);
    }
    const text = await done;
    const elapsed = performance.now() - started;
    if (kind === 'buffer' && text !== `done ${count * BUFFER_BYTES}`) throw new Error(`bad count: ${text}`);
    return (count / elapsed) * 1000;
  }

  async close(): Promise<void> {
    await this.#system.shutdown();
  }
}

/** The baseline: the same counting worker, fed with raw `postMessage` in batches of the same size. */
class RawWorkerBench {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  #onDone: (text: string) => void = () => undefined;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    const boot: RawBoot = { $rawBaseline: 1, port: port2 };
    this.#worker = new Worker(new URL(import.meta.url), { workerData: boot, transferList: [port2] });
    this.#port = port1;
    port1.on('message', (text: string) => {
      this.#onDone(text);
    });
  }

  async ready(): Promise<void> {
    await this.run('small', 1000);
  }

  async run(kind: Payload, count: number): Promise<number> {
    const done = new Promise<string>((resolve) => (this.#onDone = resolve));
    this.#port.postMessage({ kind: 'arm', count });
    await nextTurn();
    const started = performance.now();
    let sent = 0;
    while (sent < count) {
      const end = Math.min(count, sent + CAPACITY);
      for (; sent < end; sent++) {
        const { message, transfer } = payload(kind, sent);
        this.#port.postMessage(message, transfer);
      }
      await nextTurn();
    }
    const text = await done;
    const elapsed = performance.now() - started;
    if (kind === 'buffer' && text !== `done ${count * BUFFER_BYTES}`) throw new Error(`bad count: ${text}`);
    return (count / elapsed) * 1000;
  }

  async close(): Promise<void> {
    this.#port.close();
    await this.#worker.terminate();
  }
}

interface Round {
  readonly inLoopMsgPerS: number;
  readonly hop: HopLatency;
  readonly workerSmallMsgPerS: number;
  readonly rawSmallMsgPerS: number;
  readonly workerBufferMsgPerS: number;
  readonly rawBufferMsgPerS: number;
}

async function main(): Promise<void> {
  const actorWorker = new ActorWorkerBench();
  const rawWorkerBench = new RawWorkerBench();
  await actorWorker.ready();
  await rawWorkerBench.ready();
  await actorWorker.run('small', 20_000); // Warm-up.
  await rawWorkerBench.run('small', 20_000);
  await inLoopThroughput();
  const rounds: Round[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const inLoopMsgPerS = await inLoopThroughput();
    const hop = await hopLatency();
    // Alternate which side goes first, so that neither always gets the warmer machine.
    const first = round % 2 === 0;
    const rawSmallA = first ? await rawWorkerBench.run('small', WORKER_SMALL_MESSAGES) : 0;
    const workerSmallMsgPerS = await actorWorker.run('small', WORKER_SMALL_MESSAGES);
    const rawSmallMsgPerS = first ? rawSmallA : await rawWorkerBench.run('small', WORKER_SMALL_MESSAGES);
    const rawBufferA = first ? await rawWorkerBench.run('buffer', WORKER_BUFFER_MESSAGES) : 0;
    const workerBufferMsgPerS = await actorWorker.run('buffer', WORKER_BUFFER_MESSAGES);
    const rawBufferMsgPerS = first ? rawBufferA : await rawWorkerBench.run('buffer', WORKER_BUFFER_MESSAGES);
    rounds.push({
      inLoopMsgPerS,
      hop,
      workerSmallMsgPerS,
      rawSmallMsgPerS,
      workerBufferMsgPerS,
      rawBufferMsgPerS,
    });
    process.stderr.write(`round ${round + 1}/${ROUNDS}: ${JSON.stringify(rounds.at(-1))}\n`);
  }
  await actorWorker.close();
  await rawWorkerBench.close();

  const med = (pick: (round: Round) => number): number => median(rounds.map(pick));
  const inLoop = med((r) => r.inLoopMsgPerS);
  const wakeP50 = med((r) => r.hop.wakeP50Us);
  const wakeP99 = med((r) => r.hop.wakeP99Us);
  const chainP50 = med((r) => r.hop.chainP50Us);
  const chainP99 = med((r) => r.hop.chainP99Us);
  const workerSmall = med((r) => r.workerSmallMsgPerS);
  const rawSmall = med((r) => r.rawSmallMsgPerS);
  const workerBuffer = med((r) => r.workerBufferMsgPerS);
  const rawBuffer = med((r) => r.rawBufferMsgPerS);
  const smallRatio = med((r) => r.workerSmallMsgPerS / r.rawSmallMsgPerS);
  const bufferRatio = med((r) => r.workerBufferMsgPerS / r.rawBufferMsgPerS);
  const round1 = (value: number): number => Math.round(value * 10) / 10;
  const ratio = (value: number): number => Math.round(value * 1000) / 1000;
  publish(
    'actors',
    [
      target('in-loop throughput', Math.round(inLoop), 'msg/s', '>=', 2_000_000),
      target('in-loop hop latency p99 (wake-up from outside)', round1(wakeP99), 'µs', '<=', 50),
      target('in-loop hop latency p99 (actor to actor)', round1(chainP99), 'µs', '<=', 50),
      target('cross-worker / raw MessagePort, small messages', ratio(smallRatio), 'x', '>=', 0.8),
      target('cross-worker / raw MessagePort, 64 KiB transferred', ratio(bufferRatio), 'x', '>=', 0.8),
    ],
    {
      rounds: ROUNDS,
      statistic: 'median of rounds',
      inLoop: {
        messagesPerSecond: Math.round(inLoop),
        hopWakeP50Us: round1(wakeP50),
        hopWakeP99Us: round1(wakeP99),
        hopChainP50Us: round1(chainP50),
        hopChainP99Us: round1(chainP99),
      },
      worker: {
        smallMessagesPerSecond: Math.round(workerSmall),
        transfer64KiBMessagesPerSecond: Math.round(workerBuffer),
      },
      rawMessagePort: {
        smallMessagesPerSecond: Math.round(rawSmall),
        transfer64KiBMessagesPerSecond: Math.round(rawBuffer),
      },
      perRound: rounds,
    },
  );
}

if (isMainThread) await main();
else if (isRawBoot(workerData)) rawWorker(workerData.port);
