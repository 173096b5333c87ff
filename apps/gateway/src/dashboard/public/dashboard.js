/* global document, fetch, sessionStorage, URLSearchParams, setTimeout, clearTimeout */
// The Kera dashboard: plain browser JavaScript, no build step. It polls the
// admin API with the token kept in this tab's session storage and draws
// every value with textContent or SVG attributes, never as HTML.
'use strict';

(() => {
  const TOKEN_KEY = 'kera.adminToken';
  const POLL_MS = 5000;
  const AUDIT_ROWS = 25;
  const FAILED_ROWS = 20;
  const AUDIT_PAGE = 1000;
  // A bound on one refresh, in case entries arrive faster than they are read.
  const AUDIT_MAX_PAGES = 100;
  // The audit API pages oldest first; the tail re-reads entries stamped up
  // to this long before the newest one seen, so that entries projected a
  // little out of time order still show up.
  const AUDIT_OVERLAP_MS = 2 * 60 * 1000;
  const AUDIT_FIRST_WINDOWS_MS = [5 * 60e3, 60 * 60e3, 24 * 60 * 60e3, 30 * 24 * 60 * 60e3, null];
  const SVG_NS = 'http://www.w3.org/2000/svg';

  const $ = (selector) => document.querySelector(selector);

  /** An API answer that was not 2xx, with the problem's detail. */
  class ApiError extends Error {
    constructor(status, detail, path) {
      super(detail);
      this.status = status;
      this.path = path;
    }
  }

  class SignedOut extends Error {}

  // ---- talking to the gateway -------------------------------------------

  async function api(path, init = {}) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) throw new SignedOut('no token');
    const response = await fetch(path, {
      ...init,
      headers: { accept: 'application/json', authorization: `Bearer ${token}` },
      cache: 'no-store',
    });
    if (response.status === 401) {
      signOut('The gateway refused the token; enter it again.');
      throw new SignedOut('token refused');
    }
    const text = await response.text();
    const body = text ? parseJson(text) : null;
    if (!response.ok) {
      const detail = body && typeof body.detail === 'string' ? body.detail : response.statusText;
      throw new ApiError(response.status, detail, path);
    }
    return body;
  }

  function parseJson(text) {
    try {
      return JSON.parse(text);
    } catch {
      return null;
    }
  }

  function itemsOf(body) {
    if (Array.isArray(body)) return body;
    return body && Array.isArray(body.items) ? body.items : [];
  }

  // ---- small DOM helpers ------------------------------------------------

  function cell(text, className) {
    const td = document.createElement('td');
    td.textContent = text === null || text === undefined || text === '' ? '–' : String(text);
    if (className) td.className = className;
    return td;
  }

  function replaceRows(section, rows) {
    const tbody = section.querySelector('tbody');
    tbody.replaceChildren(...rows);
  }

  function note(section, text) {
    section.querySelector('[data-note]').textContent = text;
  }

  /** What a panel says when its source failed; a missing endpoint is not an error. */
  function isMissing(error) {
    return error instanceof ApiError && (error.status === 404 || error.status === 405);
  }

  function explain(error) {
    if (isMissing(error)) {
      return `Not available on this gateway yet (${error.path.split('?')[0]} answered ${error.status}).`;
    }
    if (error instanceof ApiError) return `Could not load: ${error.message} (${error.status}).`;
    return `Could not load: ${error.message}.`;
  }

  function when(iso) {
    if (!iso) return null;
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return iso;
    return date.toLocaleString([], { dateStyle: 'short', timeStyle: 'medium' });
  }

  function ago(iso) {
    if (!iso) return 'never';
    const seconds = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    if (seconds < 60) return `${seconds} s ago`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
    if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
    return `${Math.floor(seconds / 86400)} d ago`;
  }

  // ---- panels -----------------------------------------------------------

  const outbound = {
    section: $('#outbound'),
    async refresh() {
      const option = $('#bucket').selectedOptions[0];
      const query = new URLSearchParams({
        bucket: option.value,
        buckets: option.dataset.buckets,
      });
      const stats = await api(`/api/stats/deliveries?${query}`);
      $('#succeeded-total').textContent = String(stats.totals.succeeded);
      $('#failed-total').textContent = String(stats.totals.failed);
      drawChart($('#chart'), stats);
    },
  };

  const inbound = {
    section: $('#inbound'),
    async refresh() {
      const integrations = itemsOf(await api('/api/integrations'));
      const rows = integrations.map((integration) => {
        const tr = document.createElement('tr');
        tr.dataset.integration = integration.id;
        tr.append(
          cell(integration.name || integration.slug),
          cell(integration.provider),
          cell(integration.project ?? 'any'),
          cell(integration.accepted_count ?? 0, 'num ok'),
          cell(integration.rejected_count ?? 0, 'num bad'),
          cell(ago(integration.last_delivery_at)),
        );
        return tr;
      });
      replaceRows(this.section, rows);
      return integrations.length === 0 ? 'No integrations yet.' : '';
    },
  };

  const failures = {
    section: $('#failures'),
    async refresh() {
      const query = new URLSearchParams({ status: 'failed', limit: String(FAILED_ROWS) });
      const deliveries = itemsOf(await api(`/api/deliveries?${query}`));
      replaceRows(this.section, deliveries.map(failureRow));
      return deliveries.length === 0 ? 'No failed deliveries.' : '';
    },
  };

  function failureRow(delivery) {
    const id = delivery.delivery_id ?? delivery.id;
    const tr = document.createElement('tr');
    tr.dataset.delivery = id;
    const error = delivery.error;
    const why =
      delivery.status_code !== null && delivery.status_code !== undefined
        ? `HTTP ${delivery.status_code}`
        : (error && (error.message || error.class)) ||
          delivery.error_message ||
          delivery.error_class;
    const action = document.createElement('td');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Redeliver';
    button.addEventListener('click', () => redeliver(id, button));
    action.append(button);
    tr.append(
      cell(when(delivery.attempted_at ?? delivery.time)),
      cell(delivery.ticket_id),
      cell(delivery.url, 'url'),
      cell(why, 'bad'),
      cell(delivery.attempt, 'num'),
      action,
    );
    return tr;
  }

  async function redeliver(id, button) {
    button.disabled = true;
    button.textContent = 'Sending…';
    try {
      await api(`/api/deliveries/${encodeURIComponent(id)}/redeliver`, { method: 'POST' });
      button.textContent = 'Sent again';
    } catch (error) {
      if (error instanceof SignedOut) return;
      button.disabled = false;
      button.textContent = 'Redeliver';
      note(failures.section, `Redelivery of ${id} failed: ${explain(error)}`);
    }
  }

  const audit = {
    section: $('#audit'),
    entries: [],
    async refresh() {
      const shown = this.entries[0];
      const found = shown ? await newAuditEntries(shown) : await firstAuditEntries();
      // Another refresh may have finished meanwhile: keep only what is newer.
      const newest = this.entries[0];
      const fresh = found.filter((entry) => !newest || entry.seq > newest.seq);
      if (fresh.length > 0 || this.entries.length === 0) {
        this.entries = [...fresh.reverse(), ...this.entries].slice(0, AUDIT_ROWS);
        replaceRows(this.section, this.entries.map(auditRow));
      }
      return this.entries.length === 0 ? 'The audit trail is empty.' : '';
    },
  };

  /** The newest entries: the smallest recent window that holds enough of them. */
  async function firstAuditEntries() {
    let found = [];
    for (const windowMs of AUDIT_FIRST_WINDOWS_MS) {
      const since = windowMs === null ? null : new Date(Date.now() - windowMs).toISOString();
      found = await auditPages(since);
      if (found.length >= AUDIT_ROWS) break;
    }
    return found.slice(-AUDIT_ROWS);
  }

  /** Entries after the newest one shown, oldest first. */
  async function newAuditEntries(newest) {
    const since = new Date(new Date(newest.time).getTime() - AUDIT_OVERLAP_MS).toISOString();
    const found = await auditPages(since);
    return found.filter((entry) => entry.seq > newest.seq).slice(-AUDIT_ROWS);
  }

  /** The newest AUDIT_ROWS entries from `since` on (oldest first); only those are kept. */
  async function auditPages(since) {
    let newest = [];
    let after = null;
    for (let page = 0; page < AUDIT_MAX_PAGES; page += 1) {
      const query = new URLSearchParams({ limit: String(AUDIT_PAGE) });
      if (since) query.set('since', since);
      if (after) query.set('after', after);
      const body = await api(`/api/audit?${query}`);
      newest = [...newest, ...itemsOf(body)].slice(-AUDIT_ROWS);
      after = body && body.next;
      if (!after) break;
    }
    return newest;
  }

  function auditRow(entry) {
    const tr = document.createElement('tr');
    tr.dataset.seq = String(entry.seq);
    tr.append(
      cell(entry.seq, 'num'),
      cell(when(entry.time)),
      cell(entry.type, entry.type === 'kera.delivery.failed' ? 'bad' : ''),
      cell(entry.ticket_id),
      cell(entry.integration_id),
      cell(entry.actor),
    );
    return tr;
  }

  // ---- the outbound chart -------------------------------------------------

  function svg(name, attributes, text) {
    const element = document.createElementNS(SVG_NS, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
    if (text !== undefined) element.textContent = text;
    return element;
  }

  /** Stacked bars per bucket: successes below, failures on top. */
  function drawChart(container, stats) {
    const width = 640;
    const height = 200;
    const left = 36;
    const bottom = 20;
    const plotHeight = height - bottom - 8;
    const plotWidth = width - left - 4;
    const items = stats.items;
    const max = Math.max(1, ...items.map((item) => item.succeeded + item.failed));
    const step = plotWidth / Math.max(1, items.length);
    const scale = (count) => (count / max) * plotHeight;

    const chart = svg('svg', {
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': `Deliveries per ${stats.bucket}: ${stats.totals.succeeded} succeeded, ${stats.totals.failed} failed`,
    });
    chart.append(
      svg('line', { class: 'axis', x1: left, y1: 8 + plotHeight, x2: width, y2: 8 + plotHeight }),
      svg('text', { x: left - 4, y: 12, 'text-anchor': 'end' }, String(max)),
      svg('text', { x: left - 4, y: 8 + plotHeight, 'text-anchor': 'end' }, '0'),
    );
    items.forEach((item, index) => {
      const x = left + index * step + step * 0.1;
      const okHeight = scale(item.succeeded);
      const badHeight = scale(item.failed);
      const base = 8 + plotHeight;
      const title = `${when(item.start)}: ${item.succeeded} succeeded, ${item.failed} failed`;
      const group = svg('g', { 'data-start': item.start });
      group.append(svg('title', {}, title));
      if (item.succeeded > 0) {
        group.append(
          svg('rect', {
            class: 'succeeded',
            x,
            y: base - okHeight,
            width: step * 0.8,
            height: okHeight,
          }),
        );
      }
      if (item.failed > 0) {
        group.append(
          svg('rect', {
            class: 'failed',
            x,
            y: base - okHeight - badHeight,
            width: step * 0.8,
            height: badHeight,
          }),
        );
      }
      chart.append(group);
    });
    const ticks = [
      [0, 'start'],
      [Math.floor(items.length / 2), 'middle'],
      [items.length - 1, 'end'],
    ];
    for (const [index, anchor] of ticks) {
      const item = items[index];
      if (!item) continue;
      const label =
        stats.bucket_seconds >= 86400
          ? new Date(item.start).toLocaleDateString()
          : new Date(item.start).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
      const x =
        left + index * step + (anchor === 'end' ? step : anchor === 'middle' ? step / 2 : 0);
      chart.append(svg('text', { x, y: height - 4, 'text-anchor': anchor }, label));
    }
    container.replaceChildren(chart);
  }

  // ---- polling and sign-in ------------------------------------------------

  const PANELS = [outbound, inbound, failures, audit];
  let timer = null;
  // Only the latest refresh reports and schedules the next one.
  let generation = 0;

  async function refreshAll() {
    clearTimeout(timer);
    const mine = (generation += 1);
    const results = await Promise.allSettled(PANELS.map((panel) => panel.refresh()));
    if (mine !== generation || !sessionStorage.getItem(TOKEN_KEY)) return;
    const problems = { failed: 0, missing: 0 };
    results.forEach((result, index) => {
      const panel = PANELS[index];
      if (result.status === 'fulfilled') {
        note(panel.section, result.value || '');
      } else if (!(result.reason instanceof SignedOut)) {
        problems[isMissing(result.reason) ? 'missing' : 'failed'] += 1;
        note(panel.section, explain(result.reason));
      }
    });
    const parts = [`Updated ${new Date().toLocaleTimeString()}`];
    if (problems.failed > 0) parts.push(`${problems.failed} panel(s) could not load`);
    if (problems.missing > 0) parts.push(`${problems.missing} panel(s) not available yet`);
    if (parts.length === 1) parts.push(`refreshing every ${POLL_MS / 1000} s`);
    $('#status').textContent = parts.join('; ');
    if (!document.hidden) timer = setTimeout(refreshAll, POLL_MS);
  }

  function showPanels() {
    $('#sign-in').hidden = true;
    $('#panels').hidden = false;
    $('#sign-out').hidden = false;
    $('#status').textContent = 'Loading…';
    void refreshAll();
  }

  function signOut(message) {
    clearTimeout(timer);
    sessionStorage.removeItem(TOKEN_KEY);
    audit.entries = [];
    $('#panels').hidden = true;
    $('#sign-out').hidden = true;
    $('#sign-in').hidden = false;
    $('#sign-in-error').textContent = message || '';
    $('#status').textContent = 'Not signed in';
    $('#token').focus();
  }

  $('#sign-in').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('#token').value.trim();
    $('#token').value = '';
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    showPanels();
  });
  $('#sign-out').addEventListener('click', () => signOut(''));
  $('#bucket').addEventListener('change', () => void refreshAll());
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) clearTimeout(timer);
    else if (sessionStorage.getItem(TOKEN_KEY)) void refreshAll();
  });

  if (sessionStorage.getItem(TOKEN_KEY)) showPanels();
  else signOut('');
})();
