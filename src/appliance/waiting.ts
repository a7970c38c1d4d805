/**
 * A role whose site config is missing or invalid stays up: it tells systemd it is ready with the
 * reason as its status line (so `systemctl status` shows it), keeps the watchdog fed, serves a
 * status page with the reason and this site's public key, and tries again each time the file
 * changes. The appliance never loops through restarts while it waits for a person.
 */
import { statSync, watch, type FSWatcher } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { basename, dirname } from 'node:path';
import QRCode from 'qrcode';
import { ConfigError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { RoleName } from '../ops/index.js';
import type { ServiceNotifier } from './service.js';

/** How often the file is looked at besides change events (a watch can miss an editor's rename). */
const POLL_MS = 2000;

export interface WaitForSiteOptions {
  readonly siteFile: string;
  readonly role: RoleName;
  readonly notifier: ServiceNotifier;
  readonly log: Logger;
  /** Where the waiting page is served (loopback); null: no page (a second role on the host). */
  readonly page: { readonly host: string; readonly port: number } | null;
  /** This site's public key, shown for pairing; null when there is none yet. */
  readonly publicKey: () => string | null;
  /** Loads the site config; throws ConfigError while it is still bad. */
  readonly check: () => void;
  /** Aborts the wait (SIGTERM). */
  readonly signal?: AbortSignal;
}

export interface WaitingStatus {
  readonly state: 'waiting-for-site-config';
  readonly role: RoleName;
  readonly reason: string;
  readonly publicKey: string | null;
  readonly attempts: number;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${String(c.charCodeAt(0))};`);
}

async function pageHtml(status: WaitingStatus): Promise<string> {
  const qr =
    status.publicKey === null
      ? ''
      : await QRCode.toString(status.publicKey, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>doorway: waiting for a site config</title>
<style>body{font:18px system-ui,sans-serif;margin:2em;max-width:48em}code{word-break:break-all}
svg{width:16em;height:16em}</style></head><body>
<h1>doorway ${escapeHtml(status.role)}: waiting for a site config</h1>
<p id="reason"><strong>${escapeHtml(status.reason)}</strong></p>
<p>Fix the file and this page moves on by itself: the appliance tries again whenever it changes.</p>
<h2>This site's public key</h2>
<p><code id="public-key">${escapeHtml(status.publicKey ?? 'none yet')}</code></p>
${qr}
</body></html>
`;
}

/** A cheap fingerprint of the file: a changed one differs in one of these. */
function fingerprint(file: string): string {
  try {
    const s = statSync(file);
    return `${String(s.ino)}:${String(s.size)}:${String(s.mtimeMs)}`;
  } catch {
    return 'absent';
  }
}

/**
 * Waits until `check` passes, trying again on every change of the site file; the page is closed
 * before this resolves, so the role can bind its own ports. Rejects with what `check` threw when
 * that is anything but a ConfigError (a key file with the wrong mode ends the process with the
 * chmod that fixes it, as before).
 */
export async function waitForValidSite(first: ConfigError, options: WaitForSiteOptions): Promise<void> {
  const { notifier, log } = options;
  let reason = first.message;
  let attempts = 1;
  const status = (): WaitingStatus => ({
    state: 'waiting-for-site-config',
    role: options.role,
    reason,
    publicKey: options.publicKey(),
    attempts,
  });
  const announce = (): void => {
    notifier.status(`waiting for a site config: ${reason}`);
    log.warn({ reason, attempts }, 'waiting for a site config');
  };
  notifier.ready(`waiting for a site config: ${reason}`);
  announce();

  let server: Server | null = null;
  if (options.page !== null) {
    const listening = createServer((request, response) => {
      const send = (type: string, body: string): void => {
        response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
        response.end(body);
      };
      if (request.url === '/status.json') {
        send('application/json; charset=utf-8', `${JSON.stringify(status())}\n`);
        return;
      }
      pageHtml(status()).then(
        (html) => {
          send('text/html; charset=utf-8', html);
        },
        () => response.destroy(),
      );
    });
    listening.on('clientError', (_err, socket) => socket.destroy());
    const page = options.page;
    server = await new Promise<Server | null>((resolve) => {
      listening.once('error', (err) => {
        // The wait goes on without a page; the journal and `systemctl status` still say why.
        log.warn({ err: err.message, port: page.port }, 'waiting page not served');
        resolve(null);
      });
      listening.listen(page.port, page.host, () => {
        resolve(listening);
      });
    });
  }

  const interval = notifier.watchdogIntervalMs();
  const watchdog = interval === null ? null : setInterval(() => notifier.watchdog(), interval);
  // Both set inside the promise's executor, which the compiler does not follow: kept in one
  // object so that the cleanup below is not narrowed to the initial nulls.
  const handles: { watcher: FSWatcher | null; poll: NodeJS.Timeout | null } = { watcher: null, poll: null };
  try {
    await new Promise<void>((resolve, reject) => {
      let seen = fingerprint(options.siteFile);
      let busy = false;
      const retry = (): void => {
        const now = fingerprint(options.siteFile);
        if (busy || now === seen) return;
        seen = now;
        busy = true;
        attempts += 1;
        try {
          options.check();
          resolve();
        } catch (err) {
          busy = false;
          if (!(err instanceof ConfigError)) {
            reject(err instanceof Error ? err : new Error(String(err)));
            return;
          }
          reason = err.message;
          announce();
        }
      };
      handles.poll = setInterval(retry, POLL_MS);
      try {
        const watcher = watch(dirname(options.siteFile), (_event, name) => {
          if (name === null || name === basename(options.siteFile)) retry();
        });
        watcher.on('error', () => undefined);
        handles.watcher = watcher;
      } catch {
        // The folder itself is missing: the poll alone notices the file appear.
      }
      options.signal?.addEventListener('abort', () => {
        reject(new Error('stopped while waiting for a site config'));
      });
    });
  } finally {
    if (handles.poll !== null) clearInterval(handles.poll);
    if (watchdog !== null) clearInterval(watchdog);
    handles.watcher?.close();
    const closing = server;
    if (closing !== null)
      await new Promise<void>((resolve) =>
        closing.close(() => {
          resolve();
        }),
      );
  }
}
