/** `doorway` child processes on loopback, for the benchmarks that run the real tools. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist', 'bin', 'doorway.js');

/** A UDP port free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => {
    s.close(() => {
      resolve();
    });
  });
  return port;
}

export function child(args: string[]): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Resolves once the child prints `text` on stderr. */
export function saysOnStderr(c: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve) => {
    let seen = '';
    c.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) resolve();
    });
  });
}

/** The child's exit code; at once when it has already exited. */
export function exited(c: ChildProcess): Promise<number | null> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(c.exitCode);
  return new Promise((resolve) => c.once('exit', resolve));
}

/** A child whose stdout is kept: resolves with it once the child exits. */
export function childOutput(args: string[]): { child: ChildProcess; stdout: Promise<string> } {
  const c = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  c.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  return { child: c, stdout: exited(c).then(() => out) };
}

/** A node script of this tree (dist/bench/NAME.js) as a child; resolves with its stdout. */
export function benchScript(name: string, args: string[]): Promise<string> {
  const c = spawn(process.execPath, [join(ROOT, 'dist', 'bench', `${name}.js`), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  c.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  return exited(c).then(() => out);
}
