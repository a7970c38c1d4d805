import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, it } from 'node:test';
import { checkPeer } from '../src/doctor/index.js';
import { writePeerPair } from './support/doctor-peer.js';
import { scratch } from './support/tree.js';

const tmp = scratch('doctor-peer-refused');
after(tmp.remove);

it('warns at once, naming the address and ECONNREFUSED, when nothing listens at the peer', async () => {
  // site-b's ports are free and nobody is started on them: its host answers with ICMP unreachable.
  const { a, b } = await writePeerPair(tmp.dir);
  const started = performance.now();
  const checks = await checkPeer(a, { timeoutMs: 2000 });
  const elapsed = performance.now() - started;
  assert.deepEqual(
    checks.map((c) => [c.item, c.verdict]),
    [
      ['peer video', 'warn'],
      ['peer audio', 'warn'],
    ],
    JSON.stringify(checks),
  );
  assert.match(
    checks[0]?.detail ?? '',
    new RegExp(
      `^sending the video handshake to site-b at 127\\.0\\.0\\.3:${b.mediaPort} failed: ECONNREFUSED \\(nothing listens on UDP port ${b.mediaPort} there`,
    ),
  );
  assert.match(
    checks[1]?.detail ?? '',
    new RegExp(`127\\.0\\.0\\.3:${b.mediaPort + 1} failed: ECONNREFUSED`),
  );
  assert.ok(elapsed < 1000, `the refusal ends the probe well before the timeout (took ${elapsed} ms)`);
});
