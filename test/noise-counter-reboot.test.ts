import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  decodeCounter,
  encodeCounter,
  MAX_COUNTER,
  NoiseStateFileError,
  NoiseUsageError,
  PersistedCounter,
  readCounterFile,
  ReplayGuard,
  tai64nFromUnixMs,
  writeCounterFile,
} from '../src/noise/index.js';

const dir = mkdtempSync(join(tmpdir(), 'doorway-noise-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const JAN_2025 = Date.UTC(2025, 0, 1);

describe('handshake counter across reboots', () => {
  it('encodes 12 bytes big-endian and round-trips; out of range is a usage error', () => {
    assert.deepEqual(encodeCounter(1n), Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1));
    assert.equal(decodeCounter(encodeCounter(MAX_COUNTER)), MAX_COUNTER);
    assert.equal(decodeCounter(new Uint8Array(11)), null);
    assert.throws(() => encodeCounter(-1n), NoiseUsageError);
    assert.throws(() => encodeCounter(MAX_COUNTER + 1n), NoiseUsageError);
  });

  it('the wall-clock floor is TAI64N, so it orders like WireGuard timestamps', () => {
    const t = tai64nFromUnixMs(JAN_2025 + 1500);
    const bytes = encodeCounter(t);
    // TAI64 label 2^62 + 10 + seconds, then nanoseconds, both big-endian.
    assert.equal(
      Buffer.from(bytes.subarray(0, 8)).readBigUInt64BE(),
      (1n << 62n) + 10n + BigInt(JAN_2025 / 1000 + 1),
    );
    assert.equal(Buffer.from(bytes.subarray(8)).readUInt32BE(), 500_000_000);
    assert.ok(tai64nFromUnixMs(JAN_2025 + 1501) > t);
    assert.ok(
      tai64nFromUnixMs(JAN_2025 + 2000) > tai64nFromUnixMs(JAN_2025 + 1999),
      'carries into the seconds',
    );
    assert.throws(() => tai64nFromUnixMs(-1), NoiseUsageError);
    assert.throws(() => tai64nFromUnixMs(Number.NaN), NoiseUsageError);
  });

  it('never repeats: after a "reboot" with the clock back at 1970 the counter still climbs', () => {
    const file = join(dir, 'initiator.counter');
    const before = PersistedCounter.open(file);
    assert.equal(before.last, 0n, 'a missing file starts at 0');
    const a = before.next(JAN_2025);
    const b = before.next(JAN_2025); // same clock reading: still strictly greater
    assert.equal(b, a + 1n);
    assert.equal((statSync(file).mode & 0o777).toString(8), '600');

    const rebooted = PersistedCounter.open(file); // no RTC: the clock reads 0
    assert.equal(rebooted.last, b);
    const c = rebooted.next(0);
    assert.equal(c, b + 1n);
    assert.equal(rebooted.path, file);
    // Once the clock is right and later, it takes over again.
    assert.equal(rebooted.next(JAN_2025 + 60_000), tai64nFromUnixMs(JAN_2025 + 60_000));
    assert.equal(readCounterFile(file), rebooted.last);
  });

  it('the responder persists its ReplayGuard mark the same way and refuses the old counter after reboot', () => {
    const file = join(dir, 'peer.last-accepted');
    const guard = new ReplayGuard(readCounterFile(file));
    assert.equal(guard.lastAccepted, null);
    assert.ok(guard.accept(10n));
    writeCounterFile(file, 10n);
    const rebooted = new ReplayGuard(readCounterFile(file));
    assert.equal(rebooted.wouldAccept(10n), false);
    assert.equal(rebooted.accept(9n), false);
    assert.equal(rebooted.lastAccepted, 10n);
    assert.ok(rebooted.accept(11n));
  });

  it('a corrupt or unreadable counter file is a named one-line error, never a silent reset', () => {
    const bad = join(dir, 'bad.counter');
    writeFileSync(bad, 'twelve\n');
    assert.throws(
      () => PersistedCounter.open(bad),
      (err: unknown) => {
        assert.ok(err instanceof NoiseStateFileError);
        assert.equal(err.file, bad);
        assert.equal(err.exitCode, 1);
        assert.ok(!err.message.includes('\n'));
        return true;
      },
    );
    writeFileSync(bad, `${(MAX_COUNTER + 1n).toString()}\n`);
    assert.throws(() => readCounterFile(bad), NoiseStateFileError);
    assert.throws(() => readCounterFile(dir), NoiseStateFileError, 'a directory cannot be read');
    assert.throws(() => {
      writeCounterFile(join(dir, 'no', 'such', 'dir'), 1n);
    }, NoiseStateFileError);
    assert.throws(() => {
      writeCounterFile(join(dir, 'x'), -1n);
    }, NoiseStateFileError);
    assert.equal(readFileSync(bad, 'utf8').trim(), (MAX_COUNTER + 1n).toString(), 'left as found');
  });
});
