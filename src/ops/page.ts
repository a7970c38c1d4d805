import { createHash } from 'node:crypto';
import { PAGE_SCRIPT } from './page-script.js';
import { PAGE_STYLE } from './page-style.js';

/** The status page and the Content-Security-Policy that goes with it. */
export interface StatusPage {
  readonly html: string;
  /** Allows exactly the page's own inline style and script, and fetches to its own origin. */
  readonly contentSecurityPolicy: string;
}

const BODY = `
<div id="banner" class="banner" role="status" aria-live="polite">
  <div id="banner-title" class="title">Waiting for the first report…</div>
  <ul id="banner-reasons"></ul>
  <div id="directions" class="directions"></div>
</div>
<header>
  <h1><span id="site-name">…</span> ⇄ <span id="peer-name">…</span></h1>
  <div class="meta">peer at <span id="peer-address">…</span> · <span id="updated">not updated yet</span></div>
</header>
<main>
  <section class="wide"><h2>Coming in from the peer</h2><div id="inbound" class="cards"></div></section>
  <section class="wide"><h2>Going out to the peer</h2><div id="outbound"></div></section>
  <section><h2>Sessions</h2><div id="sessions"></div></section>
  <section><h2>Security</h2><div id="security"></div></section>
  <section class="wide"><h2>Parts</h2><div id="parts"></div></section>
  <section class="wide"><h2>Processes</h2><div id="roles"></div></section>
  <section class="wide"><h2>Last error</h2><div id="errors"></div></section>
</main>
<noscript>This page needs JavaScript to poll the doorway.</noscript>
`;

let cached: StatusPage | undefined;

/**
 * One self-contained HTML page for the person installing a site: inline CSS and script, no
 * external asset (the appliance has no internet), polling `api/site` every second. The markup is
 * fixed; snapshots enter it only through the script's DOM calls, never as HTML.
 */
export function statusPage(): StatusPage {
  cached ??= {
    html:
      '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
      '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
      '<title>doorway status</title>\n<link rel="icon" href="data:,">\n' +
      `<style>${PAGE_STYLE}</style>\n</head>\n<body>${BODY}<script>${PAGE_SCRIPT}</script>\n</body>\n</html>\n`,
    contentSecurityPolicy: [
      "default-src 'none'",
      `style-src '${sha256(PAGE_STYLE)}'`,
      `script-src '${sha256(PAGE_SCRIPT)}'`,
      "connect-src 'self'",
      'img-src data:',
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
  };
  return cached;
}

function sha256(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}
