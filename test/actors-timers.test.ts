import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FakeClock,
  System,
  ms,
  settle,
  type Actor,
  type Addr,
  type Context,
  type Milliseconds,
  type TimerId,
} from '../src/actors/index.js';
import { quietLogger } from './fixtures/actors-helpers.js';

function newSystem(): { system: System; clock: FakeClock } {
  const clock = new FakeClock();
  return { system: new System({ clock, logger: quietLogger() }), clock };
}

/** An actor driven by a test-supplied handler; records `message@time`. */
class Scripted implements Actor<string> {
  readonly name = 'scripted';
  readonly log: string[] = [];
  readonly #onStart: (ctx: Context<string>, self: Scripted) => void;
  readonly #onMessage: (ctx: Context<string>, message: string, self: Scripted) => void;

  constructor(
    onStart: (ctx: Context<string>, self: Scripted) => void,
    onMessage: (ctx: Context<string>, message: string, self: Scripted) => void = () => undefined,
  ) {
    this.#onStart = onStart;
    this.#onMessage = onMessage;
  }

  started(ctx: Context<string>): void {
    this.#onStart(ctx, this);
  }

  handle(ctx: Context<string>, message: string): void {
    this.log.push(`${message}@${ctx.clock.now()}`);
    this.#onMessage(ctx, message, this);
  }

  deadlinePassed(ctx: Context<string>, deadline: Milliseconds): void {
    this.log.push(`deadline(${deadline})@${ctx.clock.now()}`);
    this.#onMessage(ctx, 'deadline', this);
  }
}

test('sendAfter and sendAt deliver at their time, not before; cancelTimer prevents delivery', async () => {
  const { system, clock } = newSystem();
  let cancelled = false;
  let doomed: TimerId | undefined;
  const actor = new Scripted(
    (ctx) => {
      ctx.sendAfter('after-10', ms(10));
      ctx.sendAt('at-25', ms(25));
      doomed = ctx.sendAfter('cancelled', ms(15));
      ctx.sendAfter('cancel-it', ms(12));
      assert.equal(ctx.cancelTimer(999 as TimerId), false);
    },
    (ctx, message) => {
      if (message === 'cancel-it' && doomed !== undefined) cancelled = ctx.cancelTimer(doomed);
    },
  );
  system.spawn(() => actor).start();
  await clock.advance(ms(9));
  assert.deepEqual(actor.log, []);
  await clock.advance(ms(1));
  assert.deepEqual(actor.log, ['after-10@10']);
  await clock.advance(ms(30));
  assert.deepEqual(actor.log, ['after-10@10', 'cancel-it@12', 'at-25@25']);
  assert.equal(cancelled, true);
  assert.equal(clock.pendingTimers, 0, 'no wake-up left behind');
  await system.shutdown();
});

test('a recurring message arrives every interval, on the grid', async () => {
  const { system, clock } = newSystem();
  let id: TimerId | undefined;
  const actor = new Scripted((ctx) => {
    id = ctx.sendEvery('tick', ms(10));
  });
  system.spawn(() => actor).start();
  await clock.advance(ms(35));
  assert.deepEqual(actor.log, ['tick@10', 'tick@20', 'tick@30']);
  await clock.advance(ms(10));
  assert.deepEqual(actor.log.slice(3), ['tick@40']);
  assert.ok(id !== undefined);
  await system.shutdown();
});

test('a recurring message can start at a given time, and a cancelled one stops for good', async () => {
  const { system, clock } = newSystem();
  const actor = new Scripted(
    (ctx) => {
      ctx.sendEvery('tick', ms(10), ms(3));
    },
    (ctx, message, self) => {
      if (message === 'tick' && self.log.length === 2) ctx.cancelTimer(1 as TimerId);
    },
  );
  system.spawn(() => actor).start();
  await clock.advance(ms(100));
  assert.deepEqual(actor.log, ['tick@3', 'tick@13']);
  await system.shutdown();
});

test('sendEvery refuses an interval that is not positive', async () => {
  const { system } = newSystem();
  let thrown: unknown;
  system
    .spawn(
      () =>
        new Scripted((ctx) => {
          try {
            ctx.sendEvery('tick', ms(0));
          } catch (error) {
            thrown = error;
          }
        }),
    )
    .start();
  await settle();
  assert.ok(thrown instanceof RangeError);
  await system.shutdown();
});

test('a recurring handler slower than its interval never starves other messages, and skips missed ticks', async () => {
  const { system, clock } = newSystem();
  let ticks = 0;
  let others = 0;
  let timer: TimerId | undefined;
  const actor = new Scripted(
    (ctx) => {
      timer = ctx.sendEvery('tick', ms(10));
    },
    (ctx, message) => {
      if (message !== 'tick') return;
      ticks++;
      clock.spend(ms(15)); // Slower than the interval...
      ctx.myself.send(`other-${++others}`); // ...while other traffic arrives.
      if (ticks === 5 && timer !== undefined) ctx.cancelTimer(timer);
    },
  );
  system.spawn(() => actor).start();
  await clock.advance(ms(10));
  await settle();
  assert.deepEqual(actor.log, [
    'tick@10',
    'other-1@25',
    'tick@25',
    'other-2@40',
    'tick@40',
    'other-3@55',
    'tick@55',
    'other-4@70',
    'tick@70',
    'other-5@85',
  ]);
  assert.equal(system.stats()[0]?.timerTicksSkipped, 2, 'ticks due at 40 and 70 were folded into late ones');
  await system.shutdown();
});

test('a recurring tick waiting behind a backlog is not queued twice', async () => {
  const { system, clock } = newSystem();
  const actor = new Scripted(
    (ctx) => {
      ctx.sendEvery('tick', ms(10));
      for (let i = 0; i < 3; i++) ctx.myself.send(`slow-${i}`);
    },
    (_ctx, message) => {
      if (message.startsWith('slow')) clock.spend(ms(12));
    },
  );
  system.spawn(() => actor).start();
  await settle();
  await clock.advance(ms(5));
  // Due at 10, the tick waited behind the backlog until 36; the ticks due at 20 and 30 found it still
  // queued and were skipped; the next one keeps the grid.
  assert.deepEqual(actor.log, ['slow-0@0', 'slow-1@12', 'slow-2@24', 'tick@36', 'tick@40']);
  assert.equal(system.stats()[0]?.timerTicksSkipped, 2);
  await system.shutdown();
});

test('a busy actor still gets its delayed message, with its mailbox kept full', async () => {
  const { system, clock } = newSystem();
  let refused = 0;
  const outside: { addr?: Addr<string> } = {};
  const actor = new Scripted(
    (ctx) => {
      ctx.sendAfter('wake-up', ms(10));
      for (let i = 0; i < 4; i++) ctx.myself.send('work');
    },
    (ctx, message, self) => {
      if (message !== 'work' || self.log.includes(`wake-up@${ctx.clock.now()}`)) return;
      if (self.log.some((line) => line.startsWith('wake-up'))) return;
      clock.spend(ms(1));
      ctx.myself.send('work'); // Always something to do.
      if (outside.addr !== undefined && !outside.addr.send('outside').ok) refused++;
    },
  );
  outside.addr = system
    .spawn(() => actor)
    .capacity({ normal: 4 })
    .start();
  await settle();
  const wakeUp = actor.log.find((line) => line.startsWith('wake-up'));
  assert.ok(wakeUp !== undefined, 'the delayed message was delivered');
  const at = Number(wakeUp.split('@')[1]);
  assert.ok(at >= 10 && at <= 14, `delivered at ${at}, behind at most the 4 queued messages`);
  assert.ok(refused > 0, 'senders from outside saw the mailbox full meanwhile');
  await system.shutdown();
});

test('a deadline fires once, can be moved or cleared, and re-armed by its hook (a watchdog)', async () => {
  const { system, clock } = newSystem();
  const deadlines: (Milliseconds | null)[] = [];
  const actor = new Scripted(
    (ctx) => {
      ctx.setTimeout(ms(10));
      deadlines.push(ctx.deadline);
    },
    (ctx, message) => {
      switch (message) {
        case 'feed':
          ctx.setTimeout(ms(10));
          break;
        case 'disarm':
          ctx.setDeadline(null);
          ctx.setTimeout(null);
          deadlines.push(ctx.deadline);
          break;
        case 'deadline':
          deadlines.push(ctx.deadline);
          break;
      }
    },
  );
  const addr = system.spawn(() => actor).start();
  await clock.advance(ms(6));
  addr.send('feed'); // Moves the deadline to 16.
  await clock.advance(ms(6));
  assert.deepEqual(actor.log, ['feed@6']);
  await clock.advance(ms(4));
  assert.deepEqual(actor.log, ['feed@6', 'deadline(16)@16']);
  await clock.advance(ms(50));
  assert.equal(actor.log.length, 2, 'a deadline fires once');
  addr.send('feed');
  await settle();
  addr.send('disarm');
  await clock.advance(ms(50));
  assert.deepEqual(actor.log, ['feed@6', 'deadline(16)@16', 'feed@66', 'disarm@66']);
  assert.deepEqual(deadlines, [ms(10), null, null]);
  await system.shutdown();
});

test('a deadline that passed while busy is delivered in the high lane, ahead of normal messages', async () => {
  const { system, clock } = newSystem();
  const actor = new Scripted(
    (ctx) => {
      ctx.setDeadline(ms(5));
      ctx.myself.send('long');
      ctx.myself.send('queued');
    },
    (ctx, message) => {
      if (message === 'long') {
        clock.spend(ms(8));
        ctx.setDeadline(ms(6)); // Moved while not yet due...
      }
    },
  );
  system.spawn(() => actor).start();
  await settle();
  assert.deepEqual(actor.log, ['long@0', 'deadline(6)@8', 'queued@8']);
  await system.shutdown();
});

test('moving a deadline that is already due and queued replaces it', async () => {
  const { system, clock } = newSystem();
  const actor = new Scripted(
    (ctx) => {
      ctx.setDeadline(ms(5));
      ctx.myself.send('long');
      ctx.myself.send('move');
    },
    (ctx, message) => {
      if (message === 'long') clock.spend(ms(8));
      if (message === 'move') ctx.setDeadline(ms(20));
    },
  );
  // 'long' goes first (control lane); 'move' waits in the high lane, ahead of the deadline queued there
  // once it falls due during 'long'.
  system
    .spawn(() => actor)
    .priority((message) => (message === 'long' ? 'control' : message === 'move' ? 'high' : 'normal'))
    .start();
  await settle();
  await clock.advance(ms(30));
  assert.deepEqual(actor.log, ['long@0', 'move@8', 'deadline(20)@20']);
  await system.shutdown();
});

test('timers die with the actor run: a restarted actor does not get the ticks of its predecessor', async () => {
  const { system, clock } = newSystem();
  const logs: string[][] = [];
  let generation = 0;
  system
    .spawn(() => {
      const mine = ++generation;
      const actor = new Scripted(
        (ctx) => {
          if (mine === 1) ctx.sendEvery('tick', ms(10));
        },
        (_ctx, message) => {
          if (message === 'tick') throw new Error('tick failed');
        },
      );
      logs.push(actor.log);
      return actor;
    })
    .start();
  await clock.advance(ms(100));
  assert.equal(generation, 2);
  assert.deepEqual(logs, [['tick@10'], []]);
  await system.shutdown();
});
