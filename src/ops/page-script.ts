/**
 * The status page's script, plain ES2020 sent as is (the page has no build step and no assets).
 * It polls `api/site` once a second and rebuilds the sections from the reply with DOM calls
 * only: every figure and string from a snapshot enters the page as a text node or an attribute
 * value, never as markup. It counts renders on `body[data-polls]` for tests and the curious.
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var POLL_MS = 1000;
  var TIMEOUT_MS = 4000;
  var STALE_MS = 5000;
  var WINDOW_MS = 120000;
  var SVG_NS = 'http://www.w3.org/2000/svg';
  var polls = 0;
  var lastOkAt = null;

  function byId(id) { return document.getElementById(id); }

  /** An element with attributes and children; strings become text nodes. */
  function h(tag, attrs, children) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    appendAll(node, children);
    return node;
  }
  function setAttrs(node, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (key) {
      var value = attrs[key];
      if (value !== undefined && value !== null) node.setAttribute(key, String(value));
    });
  }
  function appendAll(node, children) {
    [].concat(children === undefined ? [] : children).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    });
  }

  function num(value, digits) { return Number(value).toFixed(digits); }
  function ms(value) {
    if (value === null || value === undefined) return '—';
    if (value < 1) return num(value, 2) + ' ms';
    return value < 10 ? num(value, 1) + ' ms' : Math.round(value) + ' ms';
  }
  function pct(value) {
    if (value === null || value === undefined) return '—';
    return (value < 10 ? num(value, 1) : num(value, 0)) + ' %';
  }
  function bps(value) {
    if (value >= 1e6) return num(value / 1e6, 1) + ' Mbit/s';
    if (value >= 1e3) return num(value / 1e3, 0) + ' kbit/s';
    return Math.round(value) + ' bit/s';
  }
  function bytes(value) {
    if (value >= 1073741824) return num(value / 1073741824, 1) + ' GiB';
    return num(value / 1048576, 0) + ' MiB';
  }
  function count(value) { return Number(value).toLocaleString('en-US'); }
  function duration(seconds) {
    var s = Math.max(0, Math.round(seconds));
    if (s < 120) return s + ' s';
    if (s < 5400) return Math.round(s / 60) + ' min';
    if (s < 172800) return Math.floor(s / 3600) + ' h ' + Math.round((s % 3600) / 60) + ' min';
    return Math.floor(s / 86400) + ' d ' + Math.round((s % 86400) / 3600) + ' h';
  }
  function clock(atMs) {
    var d = new Date(atMs);
    function two(n) { return (n < 10 ? '0' : '') + n; }
    return d.getFullYear() + '-' + two(d.getMonth() + 1) + '-' + two(d.getDate()) + ' ' +
      two(d.getHours()) + ':' + two(d.getMinutes()) + ':' + two(d.getSeconds());
  }

  /** The peer hears us on a stream when we produce it and the session carries it. */
  function sending(out) {
    return out.producing && (out.session === 'established' || out.session === 'insecure');
  }
  function sessionBadge(state) {
    var kind = state === 'established' || state === 'insecure' ? 'good' : 'fail';
    return h('span', { class: 'badge ' + kind }, state);
  }
  function yesNo(flag, yes, no) {
    return h('span', { class: 'badge ' + (flag ? 'good' : 'fail') }, flag ? yes : no);
  }

  function table(headers, rows, emptyText) {
    var head = h('tr', null, headers.map(function (header) {
      return h('th', header.num ? { class: 'num' } : null, header.label);
    }));
    var body = rows.length === 0
      ? [h('tr', null, h('td', { class: 'empty', colspan: headers.length }, emptyText))]
      : rows.map(function (row) {
          return h('tr', row.attrs || null, row.cells.map(function (cell, i) {
            if (cell && cell.span) return h('td', { class: 'wrap', colspan: cell.span }, cell.content);
            var cls = headers[i] && headers[i].num ? 'num' : null;
            return h('td', cls ? { class: cls } : null, cell);
          }));
        });
    return h('div', { class: 'scroll' }, h('table', null, [h('thead', null, head), h('tbody', null, body)]));
  }
  function col(label, flags) {
    return { label: label, num: !!(flags && flags.num) };
  }
  /** A cell spanning several columns, its text wrapping. */
  function spanning(span, content) {
    return { span: span, content: content };
  }

  /** A small line graph of one figure over the last two minutes, as an inline SVG path. */
  function sparkline(points, key, stream, floor) {
    var width = 240, height = 40;
    var svg = document.createElementNS(SVG_NS, 'svg');
    setAttrs(svg, {
      class: 'spark', viewBox: '0 0 ' + width + ' ' + height, preserveAspectRatio: 'none',
      'data-stream': stream, 'data-series': key, role: 'img',
    });
    var known = points.filter(function (p) { return typeof p[key] === 'number'; });
    if (known.length === 0) return svg;
    var newest = points[points.length - 1].atMs;
    var max = Math.max(floor, Math.max.apply(null, known.map(function (p) { return p[key]; }))) * 1.1;
    var d = '';
    var pen = 'M';
    points.forEach(function (p) {
      var value = p[key];
      if (typeof value !== 'number') { pen = 'M'; return; }
      var x = width - ((newest - p.atMs) / WINDOW_MS) * width;
      var y = height - 2 - (value / max) * (height - 4);
      d += pen + num(Math.max(0, x), 1) + ' ' + num(y, 1) + ' ';
      pen = 'L';
    });
    var path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', d.trim());
    svg.append(path);
    return svg;
  }
  function graph(label, svg) {
    return h('div', { class: 'graph' }, [h('span', null, label), svg]);
  }
  function figure(label, value) {
    return h('div', null, [h('dt', null, label), h('dd', null, value)]);
  }

  function renderBanner(site, stale) {
    var banner = byId('banner');
    var reasons = [];
    site.roles.forEach(function (role) {
      if (role.notFlowingBecause !== null) reasons.push(role.role + ': ' + role.notFlowingBecause);
    });
    site.unreachable.forEach(function (u) {
      reasons.push(u.role + ': could not be reached at ' + u.address + ' (' + u.error + ')');
    });
    stale.forEach(function (role) {
      reasons.push(role.role + ': last report ' + duration((site.atMs - role.atMs) / 1000) + ' old');
    });
    if (site.roles.length === 0 && site.unreachable.length === 0) reasons.push('no role is reporting');
    var ok = reasons.length === 0;
    banner.className = 'banner ' + (ok ? 'ok' : 'bad');
    byId('banner-title').textContent = ok ? 'Media flows both ways' : 'Media is not flowing both ways';
    byId('banner-reasons').replaceChildren.apply(byId('banner-reasons'), reasons.map(function (r) {
      return h('li', null, r);
    }));
    var chips = [];
    site.roles.forEach(function (role) {
      role.outbound.forEach(function (out) {
        var on = sending(out);
        chips.push(h('span', { class: 'chip ' + (on ? 'yes' : 'no') },
          out.stream + ' to ' + site.peer.site + ': ' + (on ? 'flowing' : 'not flowing')));
      });
      role.inbound.forEach(function (inb) {
        chips.push(h('span', { class: 'chip ' + (inb.flowing ? 'yes' : 'no') },
          inb.stream + ' from ' + site.peer.site + ': ' + (inb.flowing ? 'flowing' : 'not flowing')));
      });
    });
    byId('directions').replaceChildren.apply(byId('directions'), chips);
  }

  function renderInbound(site) {
    var cards = [];
    site.roles.forEach(function (role) {
      role.inbound.forEach(function (inb) {
        var history = (role.history && role.history[inb.stream]) || [];
        var figures = [
          figure('latency p50', ms(inb.latencyMs.p50)),
          figure('latency p95', ms(inb.latencyMs.p95)),
          figure('loss', pct(inb.lossPercent)),
          figure('bitrate', bps(inb.bitrateBps)),
          figure(inb.stream === 'video' ? 'frames/s' : 'blocks/s', num(inb.framesPerS, 0)),
          figure('last heard', inb.lastHeardAgoMs === null ? 'never' : duration(inb.lastHeardAgoMs / 1000) + ' ago'),
        ];
        if (typeof inb.flowingSinceMs === 'number') {
          figures.push(figure('flowing for', duration((site.atMs - inb.flowingSinceMs) / 1000)));
        }
        if (inb.concealedPercent !== null) figures.push(figure('concealed', pct(inb.concealedPercent)));
        figures.push(figure('FEC repaired', count(inb.fecRecovered)));
        figures.push(figure('retransmitted', count(inb.retransmitted)));
        figures.push(figure('frames lost', count(inb.framesLost)));
        cards.push(h('div', { class: 'card', 'data-stream': inb.stream }, [
          h('h3', null, [
            h('span', null, inb.stream + ' from ' + site.peer.site),
            yesNo(inb.flowing, 'flowing', 'not flowing'),
          ]),
          h('dl', { class: 'figures' }, figures),
          graph('latency (ms)', sparkline(history, 'latencyMs', inb.stream, 20)),
          graph('loss (%)', sparkline(history, 'lossPercent', inb.stream, 1)),
          graph('bitrate', sparkline(history, 'bitrateBps', inb.stream, 64000)),
        ]));
      });
    });
    byId('inbound').replaceChildren.apply(byId('inbound'),
      cards.length > 0 ? cards : [h('p', { class: 'empty' }, 'No incoming streams reported.')]);
  }

  function renderSessions(site) {
    var rows = [];
    site.roles.forEach(function (role) {
      role.outbound.forEach(function (out) {
        rows.push({ cells: [role.role, out.stream, 'to peer', sessionBadge(out.session),
          out.deviceLost ? h('span', { class: 'badge fail' }, out.stream === 'video' ? 'camera lost' : 'microphone lost')
            : yesNo(out.producing, 'producing', 'not producing')] });
      });
      role.inbound.forEach(function (inb) {
        rows.push({ cells: [role.role, inb.stream, 'from peer', sessionBadge(inb.session),
          yesNo(inb.flowing, 'flowing', 'not flowing')] });
      });
    });
    byId('sessions').replaceChildren(table(
      [col('role'), col('stream'), col('direction'), col('session'), col('media')], rows, 'No sessions reported.'));
  }

  function renderOutbound(site) {
    var rows = [];
    site.roles.forEach(function (role) {
      role.outbound.forEach(function (out) {
        rows.push({ cells: [role.role, out.stream, bps(out.bitrateBps), bps(out.targetBitrateBps),
          num(out.framesPerS, 0), ms(out.rttMs), count(out.keyframeRequests), count(out.packetsSent)] });
      });
    });
    byId('outbound').replaceChildren(table([col('role'), col('stream'), col('rate', { num: true }),
      col('allowed', { num: true }), col('per s', { num: true }), col('RTT', { num: true }),
      col('keyframe req.', { num: true }), col('packets', { num: true })], rows, 'No outgoing streams reported.'));
  }

  function renderParts(site) {
    var rows = [];
    site.roles.forEach(function (role) {
      role.parts.forEach(function (part) {
        var kind = part.state === 'running' ? 'good' : part.state === 'restarting' ? 'poor' : 'fail';
        rows.push({ attrs: { 'data-part': part.name }, cells: [role.role, part.name,
          h('span', { class: 'badge ' + kind }, part.state), count(part.restarts), count(part.handled),
          count(part.dropped), ms(part.handleP99Us / 1000)] });
      });
    });
    byId('parts').replaceChildren(table([col('role'), col('part'), col('state'), col('restarts', { num: true }),
      col('handled', { num: true }), col('dropped', { num: true }), col('handle p99', { num: true })],
      rows, 'No parts reported.'));
  }

  function renderSecurity(site) {
    var rows = site.roles.map(function (role) {
      var s = role.security;
      return { cells: [role.role, count(s.handshakes), count(s.rekeys), count(s.rejectedAuth),
        count(s.rejectedReplay), count(s.rejectedMalformed)] };
    });
    byId('security').replaceChildren(table([col('role'), col('handshakes', { num: true }),
      col('rekeys', { num: true }), col('bad auth', { num: true }), col('replayed', { num: true }),
      col('malformed', { num: true })], rows, 'No role is reporting.'));
  }

  function renderRoles(site, stale) {
    var rows = site.roles.map(function (role) {
      var p = role.process;
      var old = stale.indexOf(role) >= 0;
      return { attrs: { 'data-role': role.role }, cells: [role.role,
        yesNo(!old, 'reporting', 'stale: ' + duration((site.atMs - role.atMs) / 1000) + ' old'),
        String(p.pid), duration(p.uptimeS), bytes(p.rssBytes), bytes(p.heapUsedBytes),
        ms(p.eventLoopDelayMs.p99), ms(p.eventLoopDelayMs.max), pct(p.cpuPercent)] };
    });
    site.unreachable.forEach(function (u) {
      rows.push({ attrs: { 'data-role': u.role }, cells: [u.role, yesNo(false, '', 'unreachable'),
        spanning(7, u.address + ': ' + u.error)] });
    });
    byId('roles').replaceChildren(table([col('role'), col('state'), col('pid'),
      col('uptime', { num: true }), col('memory', { num: true }), col('heap', { num: true }),
      col('loop p99', { num: true }), col('loop max', { num: true }), col('CPU', { num: true })],
      rows, 'No role is reporting.'));
  }

  function renderErrors(site) {
    var lines = [];
    site.roles.forEach(function (role) {
      if (role.lastError === null) return;
      var ago = duration((site.atMs - role.lastError.atMs) / 1000);
      lines.push(h('p', { class: 'error-line' }, [
        h('strong', null, role.role), ' · ' + clock(role.lastError.atMs) + ' (' + ago + ' ago): ',
        role.lastError.message,
      ]));
    });
    byId('errors').replaceChildren.apply(byId('errors'),
      lines.length > 0 ? lines : [h('p', { class: 'empty' }, 'No errors reported.')]);
  }

  function render(site) {
    var stale = site.roles.filter(function (role) { return site.atMs - role.atMs > STALE_MS; });
    byId('site-name').textContent = site.site;
    byId('peer-name').textContent = site.peer.site;
    byId('peer-address').textContent = site.peer.address;
    document.title = site.site + ' ⇄ ' + site.peer.site + ' · doorway';
    renderBanner(site, stale);
    renderInbound(site);
    renderSessions(site);
    renderOutbound(site);
    renderParts(site);
    renderSecurity(site);
    renderRoles(site, stale);
    renderErrors(site);
  }

  function showDown(title, reason) {
    byId('banner').className = 'banner down';
    byId('banner-title').textContent = title;
    byId('banner-reasons').replaceChildren(h('li', null,
      reason + (lastOkAt === null ? '' : '; the figures below are from ' + clock(lastOkAt))));
  }

  function tick() {
    byId('updated').textContent = lastOkAt === null ? 'not updated yet'
      : 'updated ' + duration((Date.now() - lastOkAt) / 1000) + ' ago';
  }

  function poll() {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    fetch('api/site', { cache: 'no-store', signal: controller.signal })
      .then(function (response) {
        return response.text().then(function (text) {
          if (!response.ok) {
            var failed = new Error('HTTP ' + response.status + ': ' + text.split('\n')[0]);
            failed.fromServer = true;
            throw failed;
          }
          return JSON.parse(text);
        });
      })
      .then(function (site) {
        try {
          render(site);
        } catch (err) {
          showDown('This page could not show the report', String(err && err.message ? err.message : err));
          return;
        }
        lastOkAt = Date.now();
        polls += 1;
        document.body.setAttribute('data-polls', String(polls));
      }, function (err) {
        if (err && err.fromServer) showDown('The doorway could not report', err.message);
        else showDown('No answer from this doorway', err && err.name === 'AbortError'
          ? 'no answer within ' + TIMEOUT_MS / 1000 + ' s' : String(err && err.message ? err.message : err));
      })
      .then(function () {
        clearTimeout(timer);
        tick();
        setTimeout(poll, POLL_MS);
      });
  }

  poll();
})();
`;
