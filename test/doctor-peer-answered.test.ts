import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { checkPeer } from '../src/doctor/index.js';
import { closeAll, startResponders, writePeerPair } from './support/doctor-peer.js';
import { scratch } from './support/tree.js';

const tmp = scratch('doctor-peer-answered');
after(tmp.remove);

it('names the stream, the address and the time when site-b answers each handshake', async () => {
  const { a, aSite, b } = await writePeerPair(tmp.dir);
  const responders = await startResponders(b, { pinned: aSite.publicKey });
  try {
    const checks = await checkPeer(a, { timeoutMs: 2000 });
    assert.deepEqual(
      checks.map((c) => [c.item, c.verdict]),
      [
        ['peer video', 'ok'],
        ['peer audio', 'ok'],
      ],
      JSON.stringify(checks),
    );
    assert.match(
      checks[0]?.detail ?? '',
      new RegExp(`^site-b answered a video handshake at 127\\.0\\.0\\.3:${b.mediaPort} in \\d+(\\.\\d)? ms$`),
    );
    assert.match(
      checks[1]?.detail ?? '',
      new RegExp(
        `^site-b answered an audio handshake at 127\\.0\\.0\\.3:${b.mediaPort + 1} in \\d+(\\.\\d)? ms$`,
      ),
    );
    // The probe stops at the response: site-b's keys stay unconfirmed, so a running peer keeps the
    // keys its media flows under.
    assert.deepEqual(
      responders.map((r) => r.security().handshakes),
      [0, 0],
    );
  } finally {
    await closeAll(responders);
  }
});
