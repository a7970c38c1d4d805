import { fieldPath } from '../schema/index.js';
import { roleStatusSchema } from './status-schema.js';
import type { RoleStatus } from './status.js';

/** Another role process's snapshot, or why it could not be had, in one line. */
export type RoleStatusResult =
  { readonly ok: true; readonly status: RoleStatus } | { readonly ok: false; readonly error: string };

/**
 * GETs another role process's `/status.json`. Never throws: the status role shows a role it
 * cannot read as unreachable, with the reason, rather than failing the whole page. The timeout
 * covers connecting and reading the body, so a hung process cannot hold the page's poll.
 */
export async function fetchRoleStatus(url: string, timeoutMs: number): Promise<RoleStatusResult> {
  let body: string;
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json' },
    });
    body = await response.text();
    if (!response.ok) return failure(`HTTP ${response.status}: ${firstLine(body) || response.statusText}`);
  } catch (err) {
    return failure(describeFetchError(err, timeoutMs));
  }
  let json: unknown;
  try {
    json = JSON.parse(body) as unknown;
  } catch (err) {
    return failure(`not JSON: ${firstLine(err instanceof Error ? err.message : String(err))}`);
  }
  const parsed = roleStatusSchema.safeParse(json);
  if (parsed.success) return { ok: true, status: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? '' : `${fieldPath(issue.path)}: `;
  return failure(`not a role status: ${where}${issue?.message ?? 'invalid'}`);
}

function failure(error: string): RoleStatusResult {
  return { ok: false, error };
}

const FETCH_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'no such host (lookup failed)',
};

/** fetch() hides the socket error in `cause`; a person wants "connection refused". */
function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`;
  }
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause instanceof Error && 'code' in cause && typeof cause.code === 'string') {
    return FETCH_CODES[cause.code] ?? `${cause.code}: ${firstLine(cause.message)}`;
  }
  if (cause instanceof Error) return firstLine(cause.message);
  return firstLine(err instanceof Error ? err.message : String(err));
}

/** The first line, at most 200 characters: error text travels on in one line. */
export function firstLine(text: string): string {
  const line = text.split(/\r?\n/, 1)[0]?.trim() ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
