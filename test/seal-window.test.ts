import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ReplayWindow, SealConfigError, SealUsageError } from '../src/seal/index.js';

/** check-then-commit, as the opener does after a packet authenticates. */
function accept(window: ReplayWindow, counter: number): boolean {
  if (!window.check(counter)) return false;
  assert.equal(window.commit(counter), true);
  return true;
}

describe('replay window', () => {
  it('accepts counter 0 first, then never again', () => {
    const window = new ReplayWindow();
    assert.equal(window.size, 8192);
    assert.equal(window.top, -1);
    assert.equal(accept(window, 0), true);
    assert.equal(window.top, 0);
    assert.equal(window.check(0), false);
    assert.equal(window.commit(0), false);
  });

  it('check does not modify the window', () => {
    const window = new ReplayWindow({ size: 2048 });
    assert.equal(window.check(5), true);
    assert.equal(window.check(5), true);
    assert.equal(window.top, -1);
  });

  it('accepts exactly size-1 back and rejects exactly size back', () => {
    for (const size of [2048, 4096, 8192]) {
      const window = new ReplayWindow({ size });
      const top = 100_000;
      assert.equal(accept(window, top), true);
      assert.equal(window.check(top - size), false, `size ${size}: exactly size back`);
      assert.equal(window.check(top - size - 1), false);
      assert.equal(accept(window, top - size + 1), true, `size ${size}: size-1 back`);
      assert.equal(window.check(top - size + 1), false);
      // Every counter inside the window is still open once.
      for (let c = top - size + 2; c < top; c++) assert.equal(accept(window, c), true);
      for (let c = top - size + 1; c <= top; c++) assert.equal(window.check(c), false);
    }
  });

  it('at the very start, counters just under size are inside the window', () => {
    const window = new ReplayWindow({ size: 2048 });
    assert.equal(accept(window, 2047), true);
    assert.equal(accept(window, 0), true);
    assert.equal(accept(window, 2048), true);
    assert.equal(window.check(0), false);
    assert.equal(window.check(1), true);
  });

  it('a jump larger than the ring forgets everything behind the new window', () => {
    const window = new ReplayWindow({ size: 2048 });
    for (let c = 0; c < 3000; c++) accept(window, c);
    const far = 3000 + 10 * 2048 + 17;
    assert.equal(accept(window, far), true);
    for (let c = far - 2047; c < far; c++) assert.equal(window.check(c), true, `counter ${c}`);
    assert.equal(window.check(far - 2048), false);
    assert.equal(window.check(2999), false);
  });

  it('a jump of exactly one window clears the bits of the old counters it reuses', () => {
    const window = new ReplayWindow({ size: 2048 });
    for (let c = 0; c < 2048; c++) accept(window, c);
    // Counters 4096 + c share ring bits with c (the ring is 2 × size bits).
    assert.equal(accept(window, 4095 + 2048), true);
    for (let c = 4096; c < 4095 + 2048; c++) assert.equal(window.check(c), true, `counter ${c}`);
  });

  it('handles counters near 2^53 and the configured limit', () => {
    const window = new ReplayWindow({ size: 2048 });
    const high = 2 ** 53 - 1;
    assert.equal(accept(window, high - 5000), true);
    assert.equal(accept(window, high), true);
    assert.equal(window.check(high), false);
    assert.equal(accept(window, high - 1), true);
    assert.equal(window.check(2 ** 53), false);
    assert.equal(window.check(-1), false);
    assert.equal(window.check(1.5), false);
    assert.equal(window.check(Number.NaN), false);

    const limited = new ReplayWindow({ size: 2048, limit: 10 });
    assert.equal(limited.check(9), true);
    assert.equal(limited.check(10), false);
    assert.throws(() => limited.commit(10), SealUsageError);
    assert.throws(() => limited.commit(-1), SealUsageError);
    assert.throws(() => limited.commit(0.5), SealUsageError);
  });

  it('rejects bad options with a named error', () => {
    for (const size of [0, 1024, 3000, 2048.5, 2 ** 25]) {
      assert.throws(() => new ReplayWindow({ size }), SealConfigError, `size ${size}`);
    }
    for (const limit of [0, -1, 2 ** 53 + 2, 1.5]) {
      assert.throws(() => new ReplayWindow({ limit }), SealConfigError, `limit ${limit}`);
    }
    const error = (() => {
      try {
        new ReplayWindow({ size: 100 });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(error instanceof SealConfigError);
    assert.equal(error.exitCode, 2);
    assert.equal(error.field, 'size');
  });

  it('agrees with a set-based model on random counter streams', () => {
    const size = 2048;
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.integer({ min: -3 * size, max: 64 }), // near the top: reordering and duplicates
            fc.integer({ min: 0, max: 6 * size }), // jumps forward
          ),
          { minLength: 1, maxLength: 300 },
        ),
        (steps) => {
          const window = new ReplayWindow({ size });
          const seen = new Set<number>();
          let top = -1;
          for (const step of steps) {
            const counter = Math.max(0, top + step);
            const fresh = !seen.has(counter) && (counter > top || top - counter < size);
            assert.equal(window.check(counter), fresh, `counter ${counter}, top ${top}`);
            if (fresh) {
              window.commit(counter);
              seen.add(counter);
              top = Math.max(top, counter);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
