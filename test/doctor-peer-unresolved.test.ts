import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, it } from 'node:test';
import { checkPeer } from '../src/doctor/index.js';
import { loadSite } from './support/doctor-peer.js';
import { scratch, writeSite } from './support/tree.js';

const tmp = scratch('doctor-peer-unresolved');
after(tmp.remove);

it('warns in one line, naming the host, its ports and the error, when the peer host does not resolve', async () => {
  const site = loadSite(
    writeSite(tmp.dir, (s) => {
      // RFC 6761: .invalid never resolves.
      (s.peer as Record<string, unknown>).host = 'doorway-peer.invalid';
    }),
  );
  const timeoutMs = 2000;
  const started = performance.now();
  const checks = await checkPeer(site, { timeoutMs });
  const elapsed = performance.now() - started;
  assert.equal(checks.length, 1, JSON.stringify(checks));
  const [check] = checks;
  assert.equal(check?.item, 'peer');
  assert.equal(check.verdict, 'warn');
  assert.match(
    check.detail,
    /^studio-b's host doorway-peer\.invalid does not resolve \((ENOTFOUND|EAI_AGAIN|no answer from the resolver in time)\); ports 47000 \(video\) and 47001 \(audio\) not tried$/,
  );
  assert.ok(elapsed < timeoutMs + 1000, `bounded by the timeout (${elapsed} ms)`);
});
