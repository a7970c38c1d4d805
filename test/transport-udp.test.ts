/**
 * The real thing on loopback: `doorway send` to `doorway recv` as separate processes, directly
 * and through `doorway netsim` with loss, checking the report contract.
 */
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeKeyPair } from '../src/keys/index.js';
import { exited, freePort, saysOnStderr, startCli } from './support/processes.js';
import { CLI, scratch } from './support/tree.js';

const tmp = scratch('udp');
after(tmp.remove);

/** Resolves once `doorway recv` says it is bound (it warms up first). */
function listening(child: ChildProcess): Promise<void> {
  return saysOnStderr(child, 'listening on');
}

interface Report {
  frames: { expected: number; received: number; onTime: number; late: number; lost: number; corrupt: number };
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  transport: {
    packets: number;
    fecRecovered: number;
    retransmitted: number;
    nacks: number;
    keyframeRequests: number;
    rttMs: number;
    malformed: number;
  };
  security: {
    handshakes: number;
    rekeys: number;
    rejectedAuth: number;
    rejectedReplay: number;
    rejectedMalformed: number;
  };
  udp: { driver: 'native' | 'dgram'; droppedBeforeJs: Record<string, number> | null };
}

/** Keys for both ends, made once: `doorway keygen` as a person would run it. */
const sender = writeKeyPair(join(tmp.dir, 'sender-keys'));
const receiver = writeKeyPair(join(tmp.dir, 'receiver-keys'));

async function run(
  name: string,
  relayKnobs: string[] | null,
  encrypted: boolean,
  udp: 'auto' | 'dgram' = 'auto',
): Promise<Report> {
  const recvPort = await freePort();
  const report = join(tmp.dir, `${name}.json`);
  const frames = join(tmp.dir, `${name}.frames.jsonl`);
  const recv = startCli([
    'recv',
    '--no-decode',
    '--udp',
    udp,
    ...(encrypted ? ['--key', receiver.privateKeyFile, '--peer-key', sender.publicKeyFile] : ['--insecure']),
    '--listen',
    `127.0.0.1:${recvPort}`,
    '--duration',
    '15',
    '--deadline-ms',
    '100',
    '--idle-ms',
    '800',
    '--report',
    report,
    '--frames-log',
    frames,
  ]);
  let target = recvPort;
  let relay: ChildProcess | null = null;
  if (relayKnobs !== null) {
    target = await freePort();
    relay = startCli([
      'netsim',
      '--listen',
      `127.0.0.1:${target}`,
      '--to',
      `127.0.0.1:${recvPort}`,
      '--duration',
      '10',
      ...relayKnobs,
    ]);
  }
  await listening(recv);
  const send = startCli([
    'send',
    '--udp',
    udp,
    '--source',
    'frames',
    ...(encrypted ? ['--key', sender.privateKeyFile, '--peer-key', receiver.publicKey] : ['--insecure']),
    '--to',
    `127.0.0.1:${target}`,
    '--bitrate',
    '4M',
    '--fps',
    '60',
    '--duration',
    '2',
    '--keyframe-interval',
    '60',
  ]);
  assert.equal(await exited(send), 0);
  assert.equal(await exited(recv), 0);
  relay?.kill('SIGTERM');
  if (relay !== null) await exited(relay);
  const lines = readFileSync(frames, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: number; status: string });
  assert.equal(lines.length, 120);
  assert.deepEqual(
    lines.map((l) => l.id),
    [...Array(120).keys()],
  );
  return JSON.parse(readFileSync(report, 'utf8')) as Report;
}

describe('doorway send → doorway recv over UDP', () => {
  it('delivers every frame intact, encrypted, on loopback and writes the report', async () => {
    const r = await run('direct', null, true);
    assert.equal(r.frames.expected, 120);
    assert.equal(r.frames.corrupt, 0);
    // Real processes on a shared 2-core machine: a stall can make a frame late, but not many.
    assert.ok(r.frames.received >= 118, `${r.frames.received} received`);
    assert.ok(r.latencyMs.p50 < 20, `p50 ${r.latencyMs.p50} ms`);
    assert.equal(r.transport.malformed, 0);
    assert.ok(r.transport.packets > 500);
    assert.ok(r.transport.rttMs > 0);
    assert.equal(r.security.handshakes, 1, 'one handshake, then media under its keys');
    assert.equal(r.security.rejectedAuth + r.security.rejectedReplay + r.security.rejectedMalformed, 0);
    assert.equal(r.udp.driver, 'native', 'the batched native port when the tree has it');
    assert.deepEqual(Object.values(r.udp.droppedBeforeJs ?? { missing: 1 }), [0, 0, 0, 0, 0, 0]);
  });

  it('delivers the same through node:dgram when asked (--udp dgram)', async () => {
    const r = await run('dgram', null, true, 'dgram');
    assert.equal(r.udp.driver, 'dgram');
    assert.equal(r.udp.droppedBeforeJs, null);
    assert.equal(r.frames.corrupt, 0);
    assert.ok(r.frames.received >= 118, `${r.frames.received} received`);
    assert.equal(r.security.handshakes, 1);
  });

  it('recovers 3 % loss through the doorway netsim relay', async () => {
    const r = await run('relay', ['loss=3%', 'delay=5ms'], false);
    assert.equal(r.security.handshakes, 0, '--insecure: no session layer');
    assert.equal(r.frames.corrupt, 0);
    assert.ok(r.frames.received >= 115, `${r.frames.received} received`);
    assert.ok(r.transport.fecRecovered + r.transport.retransmitted > 0, 'losses were repaired');
    assert.ok(r.transport.rttMs >= 10, `rtt ${r.transport.rttMs} ms through a 5 ms each-way relay`);
  });

  it('rejects bad flags in one line with exit code 2', () => {
    const cases: [string[], RegExp][] = [
      [['send', '--insecure', '--to', '127.0.0.1:9', '--bitrate', 'fast'], /--bitrate 'fast' is not a rate/],
      [['send', '--insecure', '--to', 'nowhere'], /--to 'nowhere' is not HOST:PORT/],
      [
        ['send', '--insecure', '--to', '127.0.0.1:9', '--udp', 'fast'],
        /--udp 'fast' is not auto, native or dgram/,
      ],
      [['send', '--to', '127.0.0.1:9'], /--key FILE and --peer-key KEY are required/],
      [['recv', '--listen', '127.0.0.1:0', '--insecure', '--key', 'k'], /--insecure cannot be combined/],
      [
        ['send', '--to', '127.0.0.1:9', '--key', '/nonexistent/k', '--peer-key', 'x'],
        /\/nonexistent\/k: cannot read/,
      ],
      [
        ['recv', '--insecure', '--listen', '127.0.0.1:0', '--deadline-ms', '-1'],
        /--deadline-ms '-1' must be a positive number/,
      ],
      [['netsim', '--listen', '127.0.0.1:0', '--to', '127.0.0.1:9', 'loss=200%'], /loss/],
    ];
    for (const [args, message] of cases) {
      const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
      assert.equal(result.status, 2, args.join(' '));
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
    }
  });
});
