import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { checkPeer } from '../src/doctor/index.js';
import { closeAll, loadSite, startResponders, writePeerPair, writePsk } from './support/doctor-peer.js';
import { scratch } from './support/tree.js';

const tmp = scratch('doctor-peer-keys');
after(tmp.remove);

it('fails, saying the keys do not match, when the peer answers with a handshake that does not authenticate', async () => {
  const { aSite, b } = await writePeerPair(tmp.dir);
  // Each site holds a different pre-shared key: site-b accepts the initiation (the pre-shared key
  // enters only with the response) and answers, and site-a cannot open the answer.
  const site = JSON.parse(readFileSync(aSite.file, 'utf8')) as Record<string, unknown>;
  site.presharedKeyPath = writePsk(join(tmp.dir, 'a.psk'), 1);
  writeFileSync(aSite.file, JSON.stringify(site));
  const responders = await startResponders(b, {
    pinned: aSite.publicKey,
    psk: writePsk(join(tmp.dir, 'b.psk'), 2),
  });
  try {
    const checks = await checkPeer(loadSite(aSite.file), { timeoutMs: 2000 });
    assert.deepEqual(
      checks.map((c) => [c.item, c.verdict]),
      [
        ['peer video', 'fail'],
        ['peer audio', 'fail'],
      ],
      JSON.stringify(checks),
    );
    assert.equal(
      checks[0]?.detail,
      `site-b answered at 127.0.0.3:${b.mediaPort} but the video handshake did not authenticate: the keys do not match (presharedKeyPath must hold the same key at both sites)`,
    );
  } finally {
    await closeAll(responders);
  }
});
