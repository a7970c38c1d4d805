/**
 * Shared output of every `npm run bench:*`: one JSON object on stdout whose `targets` list the
 * issue's targets, and the same figures appended, with machine and date, to bench/RESULTS.md.
 */
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type TargetOp = '>=' | '<=';

export interface Target {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target: number;
  readonly op: TargetOp;
  readonly met: boolean;
}

export function target(name: string, value: number, unit: string, op: TargetOp, goal: number): Target {
  return { name, value, unit, target: goal, op, met: op === '>=' ? value >= goal : value <= goal };
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly kernel: string;
}

export function machine(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: release(),
  };
}

export interface BenchReport {
  readonly bench: string;
  readonly date: string;
  readonly machine: Machine;
  readonly targets: readonly Target[];
  readonly [extra: string]: unknown;
}

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'RESULTS.md');

/**
 * Prints the report as one JSON object and appends a section to bench/RESULTS.md; `notes` are
 * lines of context (peers' figures, baselines) written under the table.
 */
export function publish(
  bench: string,
  targets: readonly Target[],
  details: Record<string, unknown> = {},
  notes: readonly string[] = [],
): BenchReport {
  const report: BenchReport = {
    bench,
    date: new Date().toISOString(),
    machine: machine(),
    targets,
    ...details,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  if (!existsSync(RESULTS)) writeFileSync(RESULTS, '# Benchmark results\n');
  const m = report.machine;
  const rows = targets.map(
    (t) =>
      `| ${t.name} | ${formatNumber(t.value)} ${t.unit} | ${t.op} ${formatNumber(t.target)} | ${t.met ? 'met' : 'NOT met'} |`,
  );
  appendFileSync(
    RESULTS,
    [
      '',
      `## ${bench} — ${report.date.slice(0, 10)}`,
      '',
      `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, Linux ${m.kernel}`,
      '',
      '| target | value | goal | |',
      '|---|---|---|---|',
      ...rows,
      '',
      ...notes.map((n) => `- ${n}`),
      ...(notes.length > 0 ? [''] : []),
    ].join('\n'),
  );
  return report;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}
