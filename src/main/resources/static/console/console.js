// The operator console: polls GET /admin/stats (counters since start, gauges, model latency) every few seconds and
// plots rates from the differences; lists dead letters with a replay button each and for all. Every call carries
// "Authorization: Bearer <ADMIN_TOKEN>"; the token is kept in this tab's sessionStorage only. With several Official
// Accounts, a picker narrows the figures and the dead letters to one (?account=); a letter is replayed in its own.
(() => {
  'use strict';

  const POLL_MS = 2000;
  const KEEP_POINTS = 150; // five minutes at one point every two seconds
  const OUTCOMES = ['accepted', 'replied', 'acknowledged', 'duplicate', 'retry', 'pickup', 'replay', 'limited', 'full',
    'busy', 'ignored'];
  const COLOURS = ['#2563eb', '#07c160', '#64748b', '#a855f7', '#0ea5e9', '#f59e0b', '#ef4444', '#b91c1c', '#94a3b8',
    '#14b8a6', '#e11d48', '#8b5cf6'];
  const $ = (id) => document.getElementById(id);

  let token = sessionStorage.getItem('oac.adminToken') || '';
  let previous = null;
  let timer = null;
  let nextCursor = null;
  let account = sessionStorage.getItem('oac.account') || ''; // '' for every account
  let accounts = [];
  const series = { t: [], callbacks: {}, inFlight: [], queued: [], p50: [], p99: [], sends: {} };
  const charts = {};

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  async function call(method, path) {
    const response = await fetch(path, { method, headers: { Authorization: 'Bearer ' + token } });
    if (response.status === 403 || response.status === 404) {
      throw Object.assign(new Error(response.status === 404 ? 'The service has no ADMIN_TOKEN set: the console is off.'
        : 'That is not the ADMIN_TOKEN.'), { auth: true });
    }
    if (!response.ok) throw Object.assign(new Error(path + ': HTTP ' + response.status), { status: response.status });
    return response.json();
  }

  function setStatus(text, kind) {
    const pill = $('status');
    pill.textContent = text;
    pill.className = 'pill' + (kind ? ' ' + kind : '');
  }

  // ---- charts ----

  function makeChart(id, names, unit) {
    const target = $(id);
    target.replaceChildren();
    const opts = {
      width: Math.max(300, target.clientWidth),
      height: 220,
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.15)] } },
      axes: [{ stroke: '#6b7280', grid: { stroke: '#f0f1f3' } },
        { stroke: '#6b7280', grid: { stroke: '#f0f1f3' }, size: 62, values: (u, vals) => vals.map((v) => v + unit) }],
      series: [{}].concat(names.map((name, i) => ({
        label: name, stroke: COLOURS[i % COLOURS.length], width: 2, points: { show: false },
        fill: names.length === 1 ? COLOURS[0] + '22' : undefined,
      }))),
      legend: { live: false },
    };
    return { chart: new uPlot(opts, [[], ...names.map(() => [])], target), names };
  }

  function draw(key, id, names, columns, unit) {
    if (!charts[key] || charts[key].names.join() !== names.join()) charts[key] = makeChart(id, names, unit);
    charts[key].chart.setData([series.t, ...columns]);
  }

  function push(list, value) {
    list.push(value);
    if (list.length > KEEP_POINTS) list.shift();
  }

  function record(stats) {
    const seconds = stats.at / 1000;
    const elapsed = previous ? Math.max(0.001, (stats.at - previous.at) / 1000) : null;
    const rate = (now, before) => (elapsed === null ? null : Math.max(0, ((now || 0) - (before || 0)) / elapsed));
    push(series.t, seconds);
    for (const outcome of new Set([...OUTCOMES, ...Object.keys(stats.callbacks)])) {
      series.callbacks[outcome] = series.callbacks[outcome] || series.t.slice(0, -1).map(() => null);
      push(series.callbacks[outcome], rate(stats.callbacks[outcome], previous && previous.callbacks[outcome]));
    }
    push(series.inFlight, stats.inFlight);
    push(series.queued, stats.queued);
    push(series.p50, stats.model.p50);
    push(series.p99, stats.model.p99);
    for (const key of new Set([...Object.keys(series.sends), ...Object.keys(stats.sends)])) {
      series.sends[key] = series.sends[key] || series.t.slice(0, -1).map(() => null);
      push(series.sends[key], rate(stats.sends[key], previous && previous.sends[key]));
    }
    for (const list of [...Object.values(series.callbacks), ...Object.values(series.sends)]) {
      while (list.length > series.t.length) list.shift();
    }
    previous = stats;
  }

  function render(stats) {
    const total = Object.values(stats.callbacks).reduce((a, b) => a + b, 0);
    $('tile-callbacks').textContent = Math.round(total).toLocaleString();
    $('tile-inflight').textContent = stats.inFlight;
    $('tile-queued').textContent = stats.queued;
    $('tile-waiting').textContent = stats.waitingFollowers === null ? 'Redis not answering'
      : stats.waitingFollowers + ' follower(s) with unanswered messages';
    const ms = (v) => (v === null || v === undefined ? '–' : v < 10 ? v.toFixed(1) : Math.round(v));
    $('tile-latency').textContent = ms(stats.model.p50) + ' / ' + ms(stats.model.p99) + ' ms';
    $('tile-model').textContent = stats.model.calls + ' call attempt(s), ' + stats.model.failed + ' failed';
    const breaker = $('tile-breaker');
    breaker.textContent = stats.breakerOpen ? 'OPEN' : 'closed';
    breaker.className = 'tile-value ' + (stats.breakerOpen ? 'bad' : 'ok');
    $('tile-dead').textContent = stats.deadLetters === null ? '?' : stats.deadLetters;

    const outcomes = Object.keys(series.callbacks).filter((o) => OUTCOMES.includes(o) || stats.callbacks[o]);
    draw('callbacks', 'chart-callbacks', outcomes, outcomes.map((o) => series.callbacks[o]), '/s');
    draw('queue', 'chart-queue', ['in flight', 'queued'], [series.inFlight, series.queued], '');
    draw('latency', 'chart-latency', ['p50', 'p99'], [series.p50, series.p99], 'ms');
    const sends = Object.keys(series.sends).sort();
    // customer-service sends are "push <errcode>"; answers inside callback replies are their path alone
    const names = sends.length ? sends.map((k) => (k.includes(' ') ? k.replace(' ', ' · errcode ') : k + ' reply'))
      : ['push · errcode 0'];
    draw('sends', 'chart-sends', names, sends.length ? sends.map((k) => series.sends[k]) : [series.t.map(() => 0)], '/s');
  }

  function withAccount(path, name) {
    return name ? path + (path.includes('?') ? '&' : '?') + 'account=' + encodeURIComponent(name) : path;
  }

  // the accounts the service answers for, from its stats: the picker shows when there is more than one
  function offerAccounts(names) {
    if (names.join() === accounts.join()) return;
    accounts = names;
    const picker = $('account');
    picker.replaceChildren(el('option', null, 'all accounts'));
    picker.firstChild.value = '';
    for (const name of names) {
      const option = el('option', null, name);
      option.value = name;
      picker.append(option);
    }
    if (account && !names.includes(account)) account = '';
    picker.value = account;
    $('account-picker').hidden = names.length < 2;
  }

  function pickAccount(name) {
    account = name;
    sessionStorage.setItem('oac.account', name);
    previous = null; // rates are not taken across two accounts' counters
    for (const list of [series.t, series.inFlight, series.queued, series.p50, series.p99]) list.length = 0;
    series.callbacks = {};
    series.sends = {};
    poll();
    loadLetters();
  }

  function renderTop(top) {
    const body = $('top-followers');
    body.replaceChildren();
    for (const one of top || []) {
      const row = el('tr');
      row.dataset.follower = one.follower;
      row.append(el('td', 'mono', one.follower), el('td', null, one.account),
        el('td', null, one.tokens.toLocaleString()));
      body.append(row);
    }
    $('top-empty').hidden = body.children.length > 0;
  }

  // each model provider: its breaker, the turns waiting for its limits (every instance's), a Retry-After's pause
  function renderProviders(providers) {
    const body = $('providers');
    body.replaceChildren();
    for (const one of providers || []) {
      const row = el('tr');
      row.dataset.provider = one.name;
      row.append(el('td', 'mono', one.name),
        el('td', one.breakerOpen ? 'bad' : 'ok', one.breakerOpen ? 'OPEN' : 'closed'),
        el('td', null, one.waiting == null ? '–' : one.waiting.toLocaleString()),
        el('td', one.pausedFor > 0 ? 'bad' : null, one.pausedFor > 0 ? Math.ceil(one.pausedFor / 1000) + ' s' : '–'),
        el('td', null, one.timed.toLocaleString()),
        el('td', null, Math.round(one.meanWait) + ' ms'),
        el('td', null, Math.round(one.longestWait) + ' ms'));
      body.append(row);
    }
  }

  async function poll() {
    try {
      const stats = await call('GET', withAccount('/admin/stats', account));
      offerAccounts(stats.accounts || []);
      record(stats);
      render(stats);
      renderTop(stats.topFollowers);
      renderProviders(stats.providers);
      setStatus('live · every ' + POLL_MS / 1000 + ' s', 'ok');
      if (previous && stats.deadLetters !== lastDeadCount) {
        lastDeadCount = stats.deadLetters;
        loadLetters();
      }
    } catch (e) {
      if (e.auth) return signOut(e.message);
      if (account && e.status === 400) return pickAccount(''); // an account this service no longer has
      setStatus('no answer from the service', 'bad');
    }
  }
  let lastDeadCount = null;

  // ---- dead letters ----

  // one account's letters, page by page; or, for every account, the first page of each
  async function loadLetters(more) {
    const query = '/admin/dead-letters?limit=50' + (more && nextCursor ? '&cursor=' + encodeURIComponent(nextCursor) : '');
    try {
      const pages = account || accounts.length < 2 ? [await call('GET', withAccount(query, account))]
        : await Promise.all(accounts.map((name) => call('GET', withAccount(query, name))));
      const body = $('letters');
      if (!more) body.replaceChildren();
      for (const page of pages) for (const letter of page.letters) body.append(letterRow(letter));
      nextCursor = pages.length === 1 ? pages[0].next : null;
      $('more-letters').hidden = !nextCursor;
      $('letters-empty').hidden = body.children.length > 0;
      $('replay-all').disabled = body.children.length === 0;
    } catch (e) {
      if (e.auth) signOut(e.message);
    }
  }

  function letterRow(letter) {
    const row = el('tr');
    row.dataset.id = letter.id;
    const reason = el('td');
    reason.append(el('span', 'reason', letter.reason || '?'));
    const replay = el('button', 'ghost', 'Replay');
    replay.type = 'button';
    replay.dataset.replay = letter.id;
    replay.addEventListener('click', async () => {
      replay.disabled = true;
      try {
        await call('POST', withAccount('/admin/dead-letters/' + encodeURIComponent(letter.id) + '/replay',
          letter.account));
        row.remove();
        $('letters-empty').hidden = $('letters').children.length > 0;
      } catch (e) {
        replay.disabled = false;
        if (e.auth) signOut(e.message);
      }
    });
    const action = el('td');
    action.append(replay);
    const unsent = el('td', 'unsent', letter.unsent || '');
    unsent.title = letter.unsent || '';
    row.dataset.account = letter.account || 'default';
    row.append(el('td', 'mono', letter.id), el('td', null, letter.account || 'default'),
      el('td', 'mono', letter.openid || ''), reason,
      el('td', null, letter.deadAt ? new Date(letter.deadAt).toLocaleString() : ''), unsent, action);
    return row;
  }

  async function replayAll() {
    const button = $('replay-all');
    button.disabled = true;
    try {
      for (const name of account || accounts.length < 2 ? [account] : accounts) {
        await call('POST', withAccount('/admin/dead-letters/replay', name));
      }
    } catch (e) {
      if (e.auth) return signOut(e.message);
    }
    loadLetters();
  }

  // ---- sign in and out ----

  function signOut(message) {
    clearInterval(timer);
    token = '';
    sessionStorage.removeItem('oac.adminToken');
    $('app').hidden = true;
    $('sign-out').hidden = true;
    $('token-form').hidden = false;
    $('token-error').textContent = message || '';
    $('token-error').hidden = !message;
    setStatus('not connected');
    $('token-input').focus();
  }

  function open() {
    $('token-form').hidden = true;
    $('app').hidden = false;
    $('sign-out').hidden = false;
    poll();
    loadLetters();
    clearInterval(timer);
    timer = setInterval(poll, POLL_MS);
  }

  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    token = $('token-input').value.trim();
    sessionStorage.setItem('oac.adminToken', token);
    open();
  });
  $('sign-out').addEventListener('click', () => signOut());
  $('account').addEventListener('change', (event) => pickAccount(event.target.value));
  $('replay-all').addEventListener('click', replayAll);
  $('refresh-letters').addEventListener('click', () => loadLetters());
  $('more-letters').addEventListener('click', () => loadLetters(true));
  window.addEventListener('resize', () => {
    for (const c of Object.values(charts)) {
      c.chart.setSize({ width: Math.max(300, c.chart.root.parentElement.clientWidth), height: 220 });
    }
  });

  // Opened from the sandbox page on loopback: the sandbox made this run's token and hands it over (anywhere else
  // that path answers 404, and the page asks for the token as usual).
  async function sandboxToken() {
    try {
      const response = await fetch('/sandbox/console-token');
      if (response.ok) {
        const body = await response.json();
        return body.token || '';
      }
    } catch (e) {
      // no sandbox here
    }
    return '';
  }

  if (token) {
    open();
  } else {
    sandboxToken().then((made) => {
      if (made) {
        token = made;
        sessionStorage.setItem('oac.adminToken', token);
        open();
      } else {
        signOut();
      }
    });
  }
})();
