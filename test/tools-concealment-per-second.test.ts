/**
 * The demo's concealment per second: spans between readings of the cumulative audioMs, a counter
 * that goes back (a restarted audio role) starting them over, and a summary of the worst.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ConcealmentPerSecond } from '../src/tools/concealment.js';

it('turns cumulative readings into spans and finds the worst', () => {
  const c = new ConcealmentPerSecond();
  c.add(null);
  c.add({ played: 1000, concealed: 0 });
  c.add({ played: 2000, concealed: 30 });
  c.add({ played: 2000, concealed: 30 }); // nothing played since: no span
  c.add({ played: 3010, concealed: 40 });
  assert.deepEqual(c.spans, [
    { fromMs: 0, toMs: 1000, percent: 0 },
    { fromMs: 1000, toMs: 2000, percent: 3 },
    { fromMs: 2000, toMs: 3010, percent: 1 },
  ]);
  assert.deepEqual(c.summary(), { seconds: 3, secondsConcealed: 2, worstPercent: 3, worstAtMs: 1000 });
});

it('starts over when a counter goes back, as after a restart', () => {
  const c = new ConcealmentPerSecond();
  c.add({ played: 5000, concealed: 100 });
  c.add({ played: 800, concealed: 8 });
  assert.deepEqual(c.spans, [{ fromMs: 0, toMs: 800, percent: 1 }]);
});

it('says no second was concealed when none was', () => {
  const c = new ConcealmentPerSecond();
  c.add({ played: 1000, concealed: 0 });
  assert.deepEqual(c.summary(), { seconds: 1, secondsConcealed: 0, worstPercent: 0, worstAtMs: null });
  assert.deepEqual(new ConcealmentPerSecond().summary(), {
    seconds: 0,
    secondsConcealed: 0,
    worstPercent: 0,
    worstAtMs: null,
  });
});
