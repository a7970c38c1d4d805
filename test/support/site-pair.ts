/** The site pair of `make demo` for tests: wait on the roles' status JSON. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SiteFile } from '../../src/config/index.js';
import type { RoleStatus } from '../../src/ops/index.js';
import { fetchStatus, udpFree, type PairSite } from '../../src/tools/site-pair.js';
import { REPO } from './tree.js';

/** The profile of the tree's build: the sites must name it. */
export function builtProfile(): string {
  const manifest = JSON.parse(readFileSync(join(REPO, 'build', 'manifest.json'), 'utf8')) as {
    profile: string;
  };
  return manifest.profile;
}

/** Two consecutive UDP ports free on loopback (video, then audio), for a relay between sites. */
export async function freePortPair(): Promise<number> {
  for (;;) {
    const base = 30_000 + 2 * Math.floor(Math.random() * 10_000);
    const ok = await Promise.all([base, base + 1].map((port) => udpFree('127.0.0.1', port)));
    if (ok.every(Boolean)) return base;
  }
}

/** Polls a role's status until `done` holds for it; resolves with that status and when, or rejects. */
export async function waitForStatus(
  site: PairSite,
  role: 'video' | 'audio' | 'all',
  done: (status: RoleStatus) => boolean,
  timeoutMs: number,
  pollMs = 100,
): Promise<{ status: RoleStatus; at: number }> {
  const deadline = Date.now() + timeoutMs;
  let last: RoleStatus | null = null;
  while (Date.now() < deadline) {
    const status = await fetchStatus(site, role);
    if (status !== null) {
      last = status;
      if (done(status)) return { status, at: Date.now() };
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  throw new Error(
    `${site.name}/${role}: condition not met in ${timeoutMs} ms; last status: ${last === null ? 'unreachable' : JSON.stringify({ inbound: last.inbound, outbound: last.outbound, why: last.notFlowingBecause })}`,
  );
}

/** Media of `stream` arrives at this role and is counted over the last second. */
export function receiving(stream: 'video' | 'audio'): (status: RoleStatus) => boolean {
  return (status) => status.inbound.some((i) => i.stream === stream && i.flowing && i.framesPerS > 0);
}

/** Since when (unix ms) media of `stream` has flowed into this role; null if it does not. */
export function flowingSince(status: RoleStatus, stream: 'video' | 'audio'): number | null {
  return status.inbound.find((i) => i.stream === stream)?.flowingSinceMs ?? null;
}

/** Gives a site of the pair another camera: the pair writes the synthetic camera for both sites. */
export function setSiteCamera(site: PairSite, camera: SiteFile['devices']['camera']): void {
  const file = JSON.parse(readFileSync(site.file, 'utf8')) as SiteFile;
  const edited: SiteFile = { ...file, devices: { ...file.devices, camera } };
  writeFileSync(site.file, `${JSON.stringify(edited, null, 2)}\n`);
}
