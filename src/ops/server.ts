import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/index.js';
import { OpsHostError, OpsListenError } from './errors.js';
import { firstLine } from './fetch-role.js';
import { isLoopbackHost } from './loopback.js';
import type { DoorwayMetrics } from './metrics.js';
import { statusPage } from './page.js';
import type { RoleStatus, SiteStatus } from './status.js';

export interface OpsServerOptions {
  /** Address to bind; 127.0.0.1 by default. Only loopback unless `allowRemote`. */
  readonly host?: string;
  /** 0 picks a free port (tests); the bound one is `OpsServer.port`. */
  readonly port: number;
  /** Accept a non-loopback host: the endpoints then answer anyone who can reach the port. */
  readonly allowRemote?: boolean;
  /** Served at `/metrics`; the caller updates it with each snapshot. Absent: 404. */
  readonly metrics?: DoorwayMetrics;
  /** This process's snapshot, served at `/status.json`. Absent (the status role): 404. */
  readonly status?: () => RoleStatus | Promise<RoleStatus>;
  /**
   * The whole site, served at `/api/site`: the caller decides how the roles are gathered (see
   * `gatherSiteStatus`). Absent: the site of `status` alone.
   */
  readonly site?: () => SiteStatus | Promise<SiteStatus>;
  /** Serve the status page at `/`. */
  readonly page: boolean;
  readonly log?: Logger;
}

export interface OpsServer {
  readonly host: string;
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** `http://HOST:PORT`, without a trailing slash. */
  readonly url: string;
  /** Stops listening and closes idle connections; resolves once the server is closed. */
  close(): Promise<void>;
}

interface Reply {
  readonly contentType: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

type Route = () => Promise<Reply>;

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
/** How long `close()` lets a request in flight finish before cutting its connection. */
const CLOSE_GRACE_MS = 2000;

/**
 * Starts the ops endpoints of a doorway process on node:http: `/metrics`, `/status.json`,
 * `/api/site` and the status page at `/`. A failing callback answers 500 with one line and is
 * logged once until it recovers (the page polls every second; journald should not get a line a
 * second). Nothing a request does can throw out of the server.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const requested = options.host ?? '127.0.0.1';
  if (options.allowRemote !== true && !isLoopbackHost(requested)) throw new OpsHostError(requested);
  const host = requested.startsWith('[') && requested.endsWith(']') ? requested.slice(1, -1) : requested;

  const routes = buildRoutes(options);
  const failures = new FailureLog(options.log);
  const server = createServer((request, response) => {
    serve(routes, failures, request, response).catch((err: unknown) => {
      // Only reachable if writing the reply itself failed: the client is gone, drop the socket.
      options.log?.debug({ err: describe(err) }, 'ops reply failed');
      response.destroy();
    });
  });
  // A malformed request must not reach the process's 'error' handling.
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(new OpsListenError(host, options.port, describeListenError(err)));
    };
    server.once('error', onError);
    server.listen({ host, port: options.port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => options.log?.error({ err: describe(err) }, 'ops server error'));

  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  options.log?.info({ url }, 'ops endpoints listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve, reject) => {
      const force = setTimeout(() => {
        server.closeAllConnections();
      }, CLOSE_GRACE_MS);
      force.unref();
      server.close((err) => {
        clearTimeout(force);
        if (err === undefined) resolve();
        else reject(err);
      });
      server.closeIdleConnections();
    });
    return closing;
  };
  return { host, port, url, close };
}

function buildRoutes(options: OpsServerOptions): ReadonlyMap<string, Route> {
  const routes = new Map<string, Route>();
  const { metrics, status, site, page } = options;
  if (metrics !== undefined) {
    routes.set('/metrics', async () => ({ contentType: metrics.contentType, body: await metrics.text() }));
  }
  if (status !== undefined) {
    routes.set('/status.json', async () => ({
      contentType: JSON_TYPE,
      body: JSON.stringify(await status()),
    }));
  }
  const siteOf = site ?? (status === undefined ? undefined : async () => siteOfOneRole(await status()));
  if (siteOf !== undefined) {
    routes.set('/api/site', async () => ({ contentType: JSON_TYPE, body: JSON.stringify(await siteOf()) }));
  }
  if (page) {
    const { html, contentSecurityPolicy } = statusPage();
    routes.set('/', () =>
      Promise.resolve({
        contentType: 'text/html; charset=utf-8',
        body: html,
        headers: { 'content-security-policy': contentSecurityPolicy },
      }),
    );
  }
  return routes;
}

/** A process that runs every role itself has nothing to gather. */
function siteOfOneRole(status: RoleStatus): SiteStatus {
  return { site: status.site, peer: status.peer, atMs: status.atMs, roles: [status], unreachable: [] };
}

async function serve(
  routes: ReadonlyMap<string, Route>,
  failures: FailureLog,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://ops.invalid').pathname;
  const route = routes.get(path);
  if (route === undefined) {
    send(response, 404, { contentType: TEXT_TYPE, body: `not found: ${path}\n` });
    return;
  }
  if (request.method !== 'GET') {
    send(response, 405, {
      contentType: TEXT_TYPE,
      body: `method not allowed: ${request.method ?? '?'} ${path} (only GET)\n`,
      headers: { allow: 'GET' },
    });
    return;
  }
  let reply: Reply;
  try {
    reply = await route();
  } catch (err) {
    const message = describe(err);
    failures.failed(path, message);
    send(response, 500, { contentType: TEXT_TYPE, body: `ops: ${path}: ${message}\n` });
    return;
  }
  failures.succeeded(path);
  send(response, 200, reply);
}

function send(response: ServerResponse, code: number, reply: Reply): void {
  response.writeHead(code, {
    'content-type': reply.contentType,
    'content-length': Buffer.byteLength(reply.body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...reply.headers,
  });
  response.end(reply.body);
}

/** Logs a route's failure once per distinct message, and its recovery once. */
class FailureLog {
  readonly #log: Logger | undefined;
  readonly #failing = new Map<string, string>();

  constructor(log: Logger | undefined) {
    this.#log = log;
  }

  failed(path: string, message: string): void {
    if (this.#failing.get(path) === message) return;
    this.#failing.set(path, message);
    this.#log?.error({ path, err: message }, 'ops endpoint failed');
  }

  succeeded(path: string): void {
    if (!this.#failing.delete(path)) return;
    this.#log?.info({ path }, 'ops endpoint recovered');
  }
}

function describe(err: unknown): string {
  return firstLine(err instanceof Error ? err.message : String(err)) || 'failed';
}

const LISTEN_CODES: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address in use',
  EADDRNOTAVAIL: 'not an address of this machine',
  EACCES: 'permission denied',
};

function describeListenError(err: NodeJS.ErrnoException): string {
  return (err.code === undefined ? undefined : LISTEN_CODES[err.code]) ?? describe(err);
}
