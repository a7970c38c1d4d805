/**
 * An emulated V4L2 camera for the camera tests: test/fixtures/v4l2-camera-emulator.c, built into a preload
 * library that makes one device path behave like a UVC camera (mmap streaming, frames stamped with
 * the pixel code, unplugging on request). A scenario runs in a child node process started with
 * LD_PRELOAD, through the same VideoAddon as the product, and prints its result as JSON.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO } from './tree.js';

const SOURCE = join(REPO, 'test', 'fixtures', 'v4l2-camera-emulator.c');

/** The device path the emulated camera answers to in the child. */
export const EMULATED_CAMERA = '/dev/doorway-emulated-camera0';

/** The preload library (built once per version of its source), or why it cannot be built here. */
export function prepareCameraEmulator(): { preload: string } | { skip: string } {
  const source = readFileSync(SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const library = join(tmpdir(), `doorway-camera-emulator-${hash}.so`);
  if (existsSync(library)) return { preload: library };
  const flags = spawnSync('pkg-config', ['--cflags', '--libs', 'libavcodec', 'libavutil'], {
    encoding: 'utf8',
  });
  if (flags.error !== undefined || flags.status !== 0) {
    return { skip: 'pkg-config finds no libavcodec here, so the emulated camera cannot be built' };
  }
  // Test files run in parallel: build under a private name, then rename into place atomically.
  const partial = `${library}.${process.pid}.tmp`;
  const cc = spawnSync(
    'cc',
    ['-shared', '-fPIC', '-O1', '-o', partial, SOURCE, ...flags.stdout.trim().split(/\s+/), '-lpthread'],
    { encoding: 'utf8' },
  );
  if (cc.error !== undefined)
    return { skip: `no C compiler to build the emulated camera: ${cc.error.message}` };
  if (cc.status !== 0) {
    rmSync(partial, { force: true });
    throw new Error(`building the emulated camera failed:\n${cc.stderr}`);
  }
  renameSync(partial, library);
  return { preload: library };
}

/**
 * The environment that makes a process see the emulated camera at EMULATED_CAMERA: the preload
 * library and the emulated camera's knobs (EMUCAM_*; see the fixture's header). For processes
 * started whole, such as `doorway run`, rather than a scenario in `runWithEmulatedCamera`.
 */
export function emulatedCameraEnv(
  library: string,
  knobs: Record<string, string> = {},
): Record<string, string> {
  return { LD_PRELOAD: library, EMUCAM_PATH: EMULATED_CAMERA, ...knobs };
}

/**
 * Runs `body` (the inside of an async JS function) in a child node process with the emulated camera
 * preloaded and returns what it returns. In scope: `video` (VideoAddon), `device` (the emulated
 * camera's path), `sleep(ms)` and `until(what, done, timeoutMs)`. `env` sets the emulated camera's
 * knobs (EMUCAM_*; see the fixture's header).
 */
export function runWithEmulatedCamera(
  library: string,
  body: string,
  env: Record<string, string> = {},
  timeoutMs = 8000,
): unknown {
  const support = pathToFileURL(join(REPO, 'dist', 'test', 'support', 'video.js')).href;
  const script = `
import { loadVideo } from ${JSON.stringify(support)};
const video = loadVideo();
const device = process.env.EMUCAM_PATH;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(what, done, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
    await sleep(2);
  }
}
const result = await (async () => {
${body}
})();
process.stdout.write(JSON.stringify(result));
`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ...emulatedCameraEnv(library, env) },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  if (child.status !== 0) {
    const how = child.signal !== null ? `signal ${child.signal}` : `status ${String(child.status)}`;
    throw new Error(`the camera child process failed (${how}):\n${child.stderr}`);
  }
  return JSON.parse(child.stdout) as unknown;
}
