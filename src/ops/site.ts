import { fetchRoleStatus, firstLine } from './fetch-role.js';
import type { RoleName, RoleStatus, SiteStatus, UnreachableRole } from './status.js';

/** Where the status role finds each role of its site. */
export interface SiteSources {
  readonly site: string;
  readonly peer: { readonly site: string; readonly address: string };
  /** Roles running in this process: their snapshots are read directly. */
  readonly local?: readonly { readonly role: RoleName; readonly status: () => RoleStatus }[];
  /** Roles in other processes: their `/status.json` URLs. */
  readonly remote?: readonly { readonly role: RoleName; readonly url: string }[];
  /** Per remote role; they are asked in parallel, so this bounds the whole gathering. */
  readonly timeoutMs: number;
  /** Unix time in ms; `Date.now` by default (tests pin it). */
  readonly now?: () => number;
}

/**
 * One `SiteStatus` from in-process roles and the other role processes. A role that cannot be read
 * (a process down, a local snapshot that throws) is listed as unreachable with its reason; the
 * gathering itself never fails, so the status page always has something to show.
 */
export async function gatherSiteStatus(sources: SiteSources): Promise<SiteStatus> {
  const roles: RoleStatus[] = [];
  const unreachable: UnreachableRole[] = [];
  const remote = sources.remote ?? [];
  const fetched = Promise.all(remote.map((role) => fetchRoleStatus(role.url, sources.timeoutMs)));
  for (const local of sources.local ?? []) {
    try {
      roles.push(local.status());
    } catch (err) {
      unreachable.push({
        role: local.role,
        address: 'in process',
        error: firstLine(err instanceof Error ? err.message : String(err)),
      });
    }
  }
  const results = await fetched;
  results.forEach((result, index) => {
    const role = remote[index];
    if (role === undefined) return;
    if (result.ok) roles.push(result.status);
    else unreachable.push({ role: role.role, address: role.url, error: result.error });
  });
  return {
    site: sources.site,
    peer: sources.peer,
    atMs: (sources.now ?? Date.now)(),
    roles,
    unreachable,
  };
}
