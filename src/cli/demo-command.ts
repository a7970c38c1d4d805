/** `doorway demo`: the loopback pair `make demo` runs (src/tools/demo.ts). */
import type { Command } from 'commander';
import { UsageError } from '../errors/index.js';
import { runDemo } from '../tools/demo.js';
import { parseSize } from '../video/index.js';
import type { CliIo } from './index.js';

export function registerDemoCommand(program: Command, io: CliIo, cli: string): void {
  program
    .command('demo')
    .description('run a sender and a receiver on loopback with the synthetic camera and report')
    .option('--out <dir>', 'where the report, frames log and PNGs go', 'demo-output')
    .option('--duration <s>', 'seconds of video', '20')
    .option('--size <WxH>', 'picture size', '1280x720')
    .option('--fps <n>', 'frames per second', '60')
    .option('--bitrate <rate>', 'video bitrate', '6M')
    .option('--deadline-ms <ms>', 'a frame is on time when decoded this long after capture', '50')
    .action(async (o: Record<string, string>) => {
      parseSize(String(o.size));
      const number = (flag: string, text: string): number => {
        const value = Number(text);
        if (!(value > 0)) throw new UsageError(`${flag} '${text}' must be a positive number`);
        return value;
      };
      const tty = process.stderr.isTTY;
      const result = await runDemo({
        cli,
        outDir: String(o.out),
        durationS: number('--duration', String(o.duration)),
        size: String(o.size),
        fps: number('--fps', String(o.fps)),
        bitrate: String(o.bitrate),
        deadlineMs: number('--deadline-ms', String(o.deadlineMs)),
        tty,
        status: (line, replace) => {
          io.err(replace ? `\r\x1b[2K${line}` : `${line}\n`);
        },
      });
      io.out(`\n${result.summary}\n`);
    });
}
