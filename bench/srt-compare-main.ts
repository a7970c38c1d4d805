/**
 * `node dist/bench/srt-compare-main.js [--duration S] [--loss 2%,5%] [--srt-latency 15,20] [--seed N]
 *   [--one-way-ms 10] [--deadline-ms 43]`:
 * runs bench/srt-compare alone and prints the comparison as one JSON object (progress on stderr).
 */
import { parseArgs } from 'node:util';
import { compareWithSrt, type SrtCompareOptions } from './srt-compare.js';

/** `2%,5%` or `0.02,0.05` (or one number); zero only where `zeroOk`. */
function list(flag: string, text: string, scale = 1, zeroOk = false): number[] {
  return text.split(',').map((part) => {
    const value = Number(part.trim().replace(/%$/, '')) * (part.trim().endsWith('%') ? 0.01 : scale);
    if (!Number.isFinite(value) || value < 0 || (value === 0 && !zeroOk)) {
      throw new RangeError(`--${flag} '${text}' is not a list of positive numbers`);
    }
    return value;
  });
}

function options(argv: readonly string[]): SrtCompareOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string' },
      loss: { type: 'string' },
      'srt-latency': { type: 'string' },
      seed: { type: 'string' },
      'one-way-ms': { type: 'string' },
      'deadline-ms': { type: 'string' },
    },
  });
  const duration = values.duration === undefined ? undefined : list('duration', values.duration)[0];
  const seed = values.seed === undefined ? undefined : list('seed', values.seed)[0];
  const oneWayMs =
    values['one-way-ms'] === undefined ? undefined : list('one-way-ms', values['one-way-ms'], 1, true)[0];
  const deadlineMs =
    values['deadline-ms'] === undefined ? undefined : list('deadline-ms', values['deadline-ms'])[0];
  return {
    ...(duration === undefined ? {} : { durationS: duration }),
    ...(values.loss === undefined ? {} : { lossRates: list('loss', values.loss) }),
    ...(values['srt-latency'] === undefined
      ? {}
      : { srtLatencyMs: list('srt-latency', values['srt-latency']) }),
    ...(seed === undefined ? {} : { seed }),
    ...(oneWayMs === undefined ? {} : { oneWayMs }),
    ...(deadlineMs === undefined ? {} : { deadlineMs }),
    log: (line) => process.stderr.write(`srt-compare: ${line}\n`),
  };
}

// Ctrl-C or a kill: exit normally so the children are taken down with us.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

try {
  const result = await compareWithSrt(options(process.argv.slice(2)));
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} catch (err) {
  process.stderr.write(`srt-compare: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
