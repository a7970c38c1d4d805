/** CPU time a tool's process spent over its run: the benchmarks' CPU per Mbit/s. */
export interface CpuFigures {
  readonly userMs: number;
  readonly systemMs: number;
}

/** CPU time since `since` (a process.cpuUsage() taken at the start), in ms. */
export function cpuFigures(since: NodeJS.CpuUsage): CpuFigures {
  const used = process.cpuUsage(since);
  return { userMs: Math.round(used.user / 1000), systemMs: Math.round(used.system / 1000) };
}
