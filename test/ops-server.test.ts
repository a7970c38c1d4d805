import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createLogRoot } from '../src/log/index.js';
import {
  DoorwayMetrics,
  fetchRoleStatus,
  gatherSiteStatus,
  isLoopbackHost,
  OpsHostError,
  OpsListenError,
  startOpsServer,
  type OpsServer,
  type RoleStatus,
  type SiteStatus,
} from '../src/ops/index.js';
import { audioRole, site, videoRole } from './support/ops-status.js';

const NOW = 1_700_000_000_000;

/** A logger whose lines the test reads. */
function capturedLog(): {
  log: ReturnType<ReturnType<typeof createLogRoot>['component']>;
  lines: () => Record<string, unknown>[];
} {
  const chunks: string[] = [];
  const root = createLogRoot({ destination: { write: (s: string) => chunks.push(s) }, pretty: false });
  return {
    log: root.component('ops'),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** A plain server answering every request with `handler`, for shapes the ops server never sends. */
async function rawServer(
  handler: Parameters<typeof createServer>[1],
): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/status.json`, server };
}

async function closeRaw(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const { server } = await rawServer((_req, res) => res.end());
  const port = (server.address() as AddressInfo).port;
  await closeRaw(server);
  return port;
}

describe('ops server', () => {
  let ops: OpsServer;
  const status: RoleStatus = videoRole({ atMs: NOW });
  let siteStatus: SiteStatus = site([status, audioRole(NOW, false)]);
  let failStatus: Error | null = null;
  let failSite: Error | null = null;
  const metrics = new DoorwayMetrics();
  const captured = capturedLog();

  before(async () => {
    metrics.update(status);
    ops = await startOpsServer({
      port: 0,
      metrics,
      status: () => {
        if (failStatus !== null) throw failStatus;
        return status;
      },
      site: async () => {
        await Promise.resolve();
        if (failSite !== null) throw failSite;
        return siteStatus;
      },
      page: true,
      log: captured.log,
    });
  });
  after(() => ops.close());

  it('binds 127.0.0.1 on the port it was given, and says which port port 0 became', () => {
    assert.equal(ops.host, '127.0.0.1');
    assert.ok(ops.port > 0);
    assert.equal(ops.url, `http://127.0.0.1:${ops.port}`);
    assert.ok(captured.lines().some((l) => l.msg === 'ops endpoints listening' && l.url === ops.url));
  });

  it('serves /metrics as Prometheus text', async () => {
    const response = await fetch(`${ops.url}/metrics`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    assert.match(
      text,
      /^doorway_transport_bitrate_bits_per_second\{role="video",stream="video",direction="in"\} 6200000$/m,
    );
    assert.match(text, /^process_cpu_user_seconds_total \d/m);
  });

  it('serves /status.json: the snapshot round-trips', async () => {
    const response = await fetch(`${ops.url}/status.json`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await response.json(), status);
  });

  it('serves /api/site from its callback, and follows it when it changes', async () => {
    assert.deepEqual(await (await fetch(`${ops.url}/api/site`)).json(), siteStatus);
    siteStatus = site(
      [status],
      [{ role: 'audio', address: 'http://127.0.0.1:1/status.json', error: 'connection refused' }],
    );
    const body = (await (await fetch(`${ops.url}/api/site?t=1`)).json()) as SiteStatus;
    assert.equal(body.roles.length, 1);
    assert.deepEqual(body.unreachable, siteStatus.unreachable);
  });

  it('serves the status page with a policy that allows only its own inline code', async () => {
    const response = await fetch(`${ops.url}/`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/]+=*'/);
    assert.match(await response.text(), /^<!doctype html>/);
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    const missing = await fetch(`${ops.url}/nope`);
    assert.equal(missing.status, 404);
    assert.equal(await missing.text(), 'not found: /nope\n');
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const refused = await fetch(`${ops.url}/metrics`, { method });
      assert.equal(refused.status, 405, method);
      assert.equal(refused.headers.get('allow'), 'GET');
      await refused.text();
    }
  });

  it('turns a throwing callback into a 500 with one line, logs it once, and keeps serving', async () => {
    failStatus = new Error('snapshot not ready\nsecond line never shown');
    failSite = new Error('gathering failed');
    try {
      for (let i = 0; i < 3; i += 1) {
        const response = await fetch(`${ops.url}/status.json`);
        assert.equal(response.status, 500);
        assert.equal(await response.text(), 'ops: /status.json: snapshot not ready\n');
      }
      const rejected = await fetch(`${ops.url}/api/site`);
      assert.equal(rejected.status, 500);
      assert.equal(await rejected.text(), 'ops: /api/site: gathering failed\n');
      // The rest of the server is unaffected.
      assert.equal((await fetch(`${ops.url}/metrics`)).status, 200);
    } finally {
      failStatus = null;
      failSite = null;
    }
    assert.equal((await fetch(`${ops.url}/status.json`)).status, 200);
    const errors = captured.lines().filter((l) => l.msg === 'ops endpoint failed');
    assert.deepEqual(
      errors.map((l) => [l.path, l.err, l.level]),
      [
        ['/status.json', 'snapshot not ready', 50],
        ['/api/site', 'gathering failed', 50],
      ],
    );
    assert.ok(captured.lines().some((l) => l.msg === 'ops endpoint recovered' && l.path === '/status.json'));
  });

  it('fetchRoleStatus reads another process’s snapshot', async () => {
    const result = await fetchRoleStatus(`${ops.url}/status.json`, 2000);
    assert.ok(result.ok, result.ok ? '' : result.error);
    assert.deepEqual(result.status, status);
  });

  it('fetchRoleStatus reports an HTTP error with the body’s line', async () => {
    failStatus = new Error('snapshot not ready');
    try {
      const result = await fetchRoleStatus(`${ops.url}/status.json`, 2000);
      assert.deepEqual(result, { ok: false, error: 'HTTP 500: ops: /status.json: snapshot not ready' });
    } finally {
      failStatus = null;
    }
  });

  it('gatherSiteStatus combines local roles, fetched roles and the unreachable', async () => {
    const port = await closedPort();
    const gathered = await gatherSiteStatus({
      site: 'studio-a',
      peer: { site: 'studio-b', address: '10.0.0.2:47000' },
      local: [
        { role: 'audio', status: () => audioRole(NOW, true) },
        {
          role: 'all',
          status: () => {
            throw new Error('not started');
          },
        },
      ],
      remote: [
        { role: 'video', url: `${ops.url}/status.json` },
        { role: 'audio', url: `http://127.0.0.1:${port}/status.json` },
      ],
      timeoutMs: 2000,
      now: () => NOW + 5,
    });
    assert.equal(gathered.atMs, NOW + 5);
    assert.deepEqual(
      gathered.roles.map((r) => r.role),
      ['audio', 'video'],
    );
    assert.deepEqual(gathered.unreachable, [
      { role: 'all', address: 'in process', error: 'not started' },
      { role: 'audio', address: `http://127.0.0.1:${port}/status.json`, error: 'connection refused' },
    ]);
  });
});

describe('fetchRoleStatus failures', () => {
  it('names a closed port plainly', async () => {
    const port = await closedPort();
    assert.deepEqual(await fetchRoleStatus(`http://127.0.0.1:${port}/status.json`, 2000), {
      ok: false,
      error: 'connection refused',
    });
  });

  it('refuses garbage that is not JSON', async () => {
    const { url, server } = await rawServer((_req, res) => res.end('{"role": "video", oops'));
    try {
      const result = await fetchRoleStatus(url, 2000);
      assert.equal(result.ok, false);
      assert.match(result.error, /^not JSON: /);
    } finally {
      await closeRaw(server);
    }
  });

  it('refuses JSON that is not a role status, naming the field', async () => {
    const wrong = { ...videoRole({ atMs: NOW }), inbound: [{ stream: 'smell' }] };
    const { url, server } = await rawServer((_req, res) => res.end(JSON.stringify(wrong)));
    try {
      const result = await fetchRoleStatus(url, 2000);
      assert.equal(result.ok, false);
      assert.match(result.error, /^not a role status: inbound\[0\]\.stream: /);
    } finally {
      await closeRaw(server);
    }
  });

  it('gives up on a process that does not answer within the timeout', async () => {
    const { url, server } = await rawServer(() => {
      // Never answers.
    });
    try {
      const started = Date.now();
      assert.deepEqual(await fetchRoleStatus(url, 150), { ok: false, error: 'no answer within 150 ms' });
      assert.ok(Date.now() - started < 2000);
    } finally {
      await closeRaw(server);
    }
  });
});

describe('ops server binding', () => {
  it('refuses a non-loopback host with a one-line named error', async () => {
    for (const host of ['0.0.0.0', '10.1.2.3', '::', 'doorway.example']) {
      await assert.rejects(startOpsServer({ host, port: 0, page: false }), (err: unknown) => {
        assert.ok(err instanceof OpsHostError, String(err));
        assert.equal(err.exitCode, 2);
        assert.ok(err.message.startsWith(`ops: refusing to listen on '${host}': not a loopback address`));
        assert.ok(!err.message.includes('\n'));
        return true;
      });
    }
  });

  it('knows the loopback spellings', () => {
    for (const host of [
      '127.0.0.1',
      '127.3.4.5',
      'localhost',
      '::1',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
    ]) {
      assert.ok(isLoopbackHost(host), host);
    }
    for (const host of ['0.0.0.0', '::', '128.0.0.1', '::ffff:10.0.0.1', 'localhost.example', '']) {
      assert.ok(!isLoopbackHost(host), host);
    }
  });

  it('listens beyond loopback only when allowRemote is set', async () => {
    const open = await startOpsServer({
      host: '0.0.0.0',
      port: 0,
      allowRemote: true,
      page: false,
      status: () => videoRole({ atMs: NOW }),
    });
    try {
      assert.equal(open.host, '0.0.0.0');
      assert.equal((await fetch(`http://127.0.0.1:${open.port}/status.json`)).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${open.port}/metrics`)).status, 404, 'no metrics given');
      assert.equal((await fetch(`http://127.0.0.1:${open.port}/`)).status, 404, 'no page asked for');
    } finally {
      await open.close();
    }
  });

  it('derives /api/site from the role alone when no site callback is given', async () => {
    const role = videoRole({ atMs: NOW });
    const server = await startOpsServer({ port: 0, page: false, status: () => role });
    try {
      const body = (await (await fetch(`${server.url}/api/site`)).json()) as SiteStatus;
      assert.deepEqual(body, {
        site: 'studio-a',
        peer: role.peer,
        atMs: NOW,
        roles: [role],
        unreachable: [],
      });
    } finally {
      await server.close();
    }
  });

  it('reports a taken port as a named error', async () => {
    const first = await startOpsServer({ port: 0, page: true });
    try {
      await assert.rejects(startOpsServer({ port: first.port, page: true }), (err: unknown) => {
        assert.ok(err instanceof OpsListenError, String(err));
        assert.equal(err.message, `ops: cannot listen on 127.0.0.1:${first.port}: address in use`);
        return true;
      });
    } finally {
      await first.close();
    }
  });

  it('closes promptly, even with a keep-alive connection open, and close is idempotent', async () => {
    const server = await startOpsServer({ port: 0, page: true });
    assert.equal((await fetch(`${server.url}/`)).status, 200); // leaves a pooled keep-alive socket
    const started = Date.now();
    await server.close();
    await server.close();
    assert.ok(Date.now() - started < 1000, `close took ${Date.now() - started} ms`);
    await assert.rejects(fetch(`${server.url}/`));
  });
});
