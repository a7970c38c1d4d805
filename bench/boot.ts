/**
 * `npm run bench:boot` and `make boot-test`: boots the doorway image for two sites with systemd
 * as PID 1 (systemd-nspawn), wired only to each other, and checks from outside that the
 * appliance does what it promises (see bench/boot/scenario.ts). Exits 1 when any check fails,
 * and says so in one line when the machine cannot boot the image at all: it never passes
 * without booting.
 *
 *   node dist/bench/boot.js [--image FILE] [--kills N] [--record]
 *     --kills N   kill -9 a role's main process N times (default 20)
 *     --record    print the benchmark JSON and append the figures to bench/RESULTS.md
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { publish, target } from './results.js';
import { runScenario } from './boot/scenario.js';

function fail(line: string): never {
  process.stderr.write(`doorway boot-test: ${line}\n`);
  process.exit(1);
}

const { values } = parseArgs({
  options: {
    image: { type: 'string', default: 'build/image/doorway-dev.raw' },
    kills: { type: 'string', default: '20' },
    record: { type: 'boolean', default: false },
    'work-dir': { type: 'string', default: 'build/boot-test' },
  },
});
const kills = Number(values.kills);
if (!Number.isInteger(kills) || kills < 1)
  fail(`--kills '${values.kills}' is not a whole number of at least 1`);
if (process.getuid?.() !== 0) fail('must run as root (it boots machines and makes network namespaces)');
if (!existsSync(values.image)) fail(`${values.image}: no image; run: make image PROFILE=dev`);
for (const tool of ['/usr/bin/systemd-nspawn', '/usr/bin/mcopy', '/usr/sbin/losetup', '/usr/bin/curl']) {
  if (!existsSync(tool)) fail(`${tool} is missing; run: bash scripts/install-system-deps.sh dev --image`);
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
const started = Date.now();
const { checks, figures } = await runScenario({
  image: values.image,
  workDir: values['work-dir'],
  kills,
  log,
});
const failed = checks.filter((c) => !c.ok);
log(
  `boot test: ${String(checks.length - failed.length)} of ${String(checks.length)} checks passed in ${((Date.now() - started) / 1000).toFixed(0)} s`,
);

const sorted = [...figures.killToMediaMs].sort((x, y) => x - y);
const p50 = sorted.length === 0 ? Number.NaN : (sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN);
const worst = sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] ?? Number.NaN);
if (values.record) {
  publish(
    'boot',
    [
      target('image size (dev)', figures.imageBytes / 2 ** 30, 'GiB', '<=', 1.5),
      target(
        'network up → first decoded frame from the peer',
        figures.networkToFirstFrameMs,
        'ms',
        '<=',
        3000,
      ),
      target(`kill -9 → media back, p50 of ${String(sorted.length)}`, p50, 'ms', '<=', 5000),
      target(`kill -9 → media back, worst of ${String(sorted.length)}`, worst, 'ms', '<=', 5000),
      ...Object.entries(figures.exposure).map(([unit, value]) =>
        target(`systemd-analyze security: ${unit}`, value, 'exposure', '<=', 2.0),
      ),
    ],
    { figures, checks },
    [
      `booted with systemd-nspawn (systemd 252 as PID 1 in each machine, the host's kernel): systemd start → doorway.target ${figures.bootToTargetMs.toFixed(0)} ms (systemd-analyze userspace: ${String(figures.analyzeUserspaceMs)} ms), → first decoded frame from the peer ${figures.bootToFirstFrameMs.toFixed(0)} ms`,
      `watchdog (WatchdogSec=10s): SIGSTOP → media back ${String(figures.watchdogToMediaMs)} ms`,
      `kill -9 → media back, each: ${figures.killToMediaMs.join(', ')} ms`,
      `checks: ${String(checks.length - failed.length)}/${String(checks.length)} passed`,
    ],
  );
}
if (failed.length > 0)
  fail(`${String(failed.length)} check(s) failed: ${failed.map((c) => c.name).join('; ')}`);
