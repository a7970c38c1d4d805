import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, it } from 'node:test';
import { checkPeer } from '../src/doctor/index.js';
import { closeAll, startResponders, writePeerPair } from './support/doctor-peer.js';
import { scratch } from './support/tree.js';

const tmp = scratch('doctor-peer-silent');
after(tmp.remove);

it('warns after the timeout, with what was tried and the likely causes, when the peer never answers', async () => {
  const { a, b } = await writePeerPair(tmp.dir);
  // site-b runs but pins a key other than site-a's: it refuses every initiation without a word,
  // which from site-a looks like any peer that is not answering.
  const responders = await startResponders(b, { pinned: b.publicKey });
  try {
    const timeoutMs = 1500;
    const started = performance.now();
    const checks = await checkPeer(a, { timeoutMs });
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
        `^no answer from site-b at 127\\.0\\.0\\.3:${b.mediaPort} to [12] video handshake initiation\\(s\\): doorway is not running there yet, a firewall or NAT drops UDP port ${b.mediaPort}, or the keys do not match`,
      ),
    );
    assert.match(
      checks[1]?.detail ?? '',
      new RegExp(`^no answer from site-b at 127\\.0\\.0\\.3:${b.mediaPort + 1} `),
    );
    assert.ok(elapsed >= timeoutMs - 50, `waited the timeout out (${elapsed} ms)`);
    assert.ok(elapsed < timeoutMs + 1000, `and not much longer, both streams in parallel (${elapsed} ms)`);
    // The initiations did arrive: site-b refused them on the pinned key.
    for (const r of responders) assert.ok(r.security().rejectedAuth >= 1, r.stream);
  } finally {
    await closeAll(responders);
  }
});
