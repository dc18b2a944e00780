// The sandbox page: a follower's side of a WeChat chat. Everything shown comes from the service: messages typed
// here go to POST /sandbox/callback (which signs a real callback server-side), and bubbles and the trace arrive
// from GET /sandbox/events as server-sent events. Read with fetch rather than EventSource, so that a sandbox that
// listens beyond loopback can send "Authorization: Bearer <ADMIN_TOKEN>".
(() => {
  'use strict';

  // Two made-up Official Accounts: the default one (/wechat) and "shop" (/wechat/shop), which has its own token,
  // AppID, system prompt, model, welcome and AI label; each follower follows one of them.
  const ACCOUNTS = { default: 'Sandbox 公众号', shop: '小店 Shop' };
  const FOLLOWERS = [
    { openid: 'oSandbox_xiaoming', name: '小明', colour: '#10b981', account: 'default' },
    { openid: 'oSandbox_alice', name: 'Alice', colour: '#6366f1', account: 'default' },
    { openid: 'oSandbox_bob', name: 'Bob', colour: '#f59e0b', account: 'default' },
    { openid: 'oShop_xiaohong', name: '小红', colour: '#ec4899', account: 'shop' },
    { openid: 'oShop_laowang', name: '老王', colour: '#8b5cf6', account: 'shop' },
  ];
  let accounts = ['default'];
  const ACCOUNT_COLOUR = '#07c160';
  const $ = (id) => document.getElementById(id);

  let token = sessionStorage.getItem('oac.adminToken') || '';
  let current = FOLLOWERS[0];
  let stream = null;
  let voiceMode = false;

  function headers(extra) {
    const h = Object.assign({}, extra || {});
    if (token) h.Authorization = 'Bearer ' + token;
    return h;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function avatar(letter, colour) {
    const a = el('span', 'avatar', letter);
    a.style.background = colour;
    return a;
  }

  function time(at) {
    return new Date(at).toLocaleTimeString('en-GB');
  }

  function showError(text) {
    const box = $('error');
    box.textContent = text;
    box.hidden = !text;
  }

  // ---- followers ----

  function renderFollowers() {
    const list = $('follower-list');
    list.replaceChildren();
    for (const name of accounts) {
      const followers = FOLLOWERS.filter((f) => f.account === name);
      if (!followers.length) continue;
      if (accounts.length > 1) {
        list.append(el('li', 'account-heading', (ACCOUNTS[name] || name) + (name === 'default' ? ' · /wechat'
          : ' · /wechat/' + name)));
      }
      for (const f of followers) list.append(followerItem(f));
    }
  }

  function followerItem(f) {
    const button = el('button');
    button.type = 'button';
    button.dataset.openid = f.openid;
    button.setAttribute('aria-current', String(f === current));
    const label = el('span');
    label.append(el('span', 'follower-name', f.name), el('span', 'follower-id', f.openid));
    button.append(avatar(f.name[0], f.colour), label);
    button.dataset.account = f.account;
    button.addEventListener('click', () => select(f));
    const item = el('li');
    item.append(button);
    return item;
  }

  function select(follower) {
    current = follower;
    $('account-name').textContent = ACCOUNTS[follower.account] || follower.account;
    renderFollowers();
    $('messages').replaceChildren();
    $('trace-list').replaceChildren();
    $('typing').hidden = true;
    watch();
  }

  // ---- bubbles ----

  function addBubble(b) {
    const box = $('messages');
    if (b.from === 'follower' && b.path === 'event') {
      box.append(el('div', 'system-note', current.name + ' ' + b.text.replace(/^[^ ]+ /, '')));
    } else {
      const me = b.from === 'follower';
      const row = el('div', 'msg' + (me ? ' me' : ''));
      const body = el('div', 'msg-body');
      const bubble = el('div', 'bubble', b.text);
      bubble.dataset.from = b.from;
      bubble.dataset.path = b.path;
      body.append(bubble);
      const how = me ? (b.path === 'voice' ? 'voice message' : '')
        : b.path === 'passive' ? 'passive reply' : 'customer-service message';
      body.append(el('div', 'meta', time(b.at) + (how ? ' · ' + how : '')));
      row.append(me ? avatar(current.name[0], current.colour) : avatar('公', ACCOUNT_COLOUR), body);
      box.append(row);
      if (!me) $('typing').hidden = true;
    }
    box.scrollTop = box.scrollHeight;
  }

  // ---- trace ----

  function addTrace(t) {
    const list = $('trace-list');
    list.querySelector('.trace-empty')?.remove();
    const li = el('li');
    li.dataset.step = t.step;
    const bad = /errcode (?!0\b)\d+|HTTP [45]\d\d|Exception/.test(t.detail);
    li.append(el('span', 'trace-time', time(t.at)),
      el('span', 'step step-' + (bad ? 'bad' : t.step), t.step),
      el('span', 'trace-detail', t.detail));
    list.append(li);
    if (t.step === 'typing') $('typing').hidden = false;
  }

  function resetTrace(first) {
    $('trace-list').replaceChildren();
    addTrace(first);
  }

  // ---- the event stream ----

  async function watch() {
    if (stream) stream.abort();
    const controller = new AbortController();
    stream = controller;
    const follower = current;
    try {
      const response = await fetch('/sandbox/events?openid=' + encodeURIComponent(follower.openid),
        { headers: headers({ Accept: 'text/event-stream' }), signal: controller.signal });
      if (response.status === 403) return askForToken();
      if (!response.ok) throw new Error('events: HTTP ' + response.status);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (e) {
      if (controller.signal.aborted) return;
      showError('Lost the connection to the service; reconnecting…');
    }
    if (stream === controller && !controller.signal.aborted) setTimeout(() => { if (stream === controller) watch(); }, 1500);
  }

  function dispatch(block) {
    let name = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) name = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (!data.length) return;
    const payload = JSON.parse(data.join('\n'));
    showError('');
    if (name === 'history') {
      $('messages').replaceChildren();
      $('trace-list').replaceChildren();
      payload.bubbles.forEach(addBubble);
      payload.trace.forEach(addTrace);
      if (!payload.bubbles.length) {
        $('messages').append(el('div', 'system-note', 'Say hello, or press ➕ Follow to see the welcome text.'));
      }
      if (!payload.trace.length) $('trace-list').append(el('li', 'trace-empty', 'Nothing yet: send a message.'));
    } else if (name === 'bubble') {
      $('messages').querySelector('.system-note:only-child')?.remove();
      addBubble(payload);
    } else if (name === 'trace-reset') {
      resetTrace(payload);
    } else if (name === 'trace') {
      addTrace(payload);
    }
  }

  // ---- sending ----

  async function send(message) {
    const button = $('send');
    button.disabled = true;
    try {
      const response = await fetch('/sandbox/callback', {
        method: 'POST',
        headers: headers({ 'Content-Type': 'application/json' }),
        body: JSON.stringify(Object.assign({ openid: current.openid, account: current.account }, message)),
      });
      if (response.status === 403) return askForToken();
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) showError(answer.error || 'The sandbox answered HTTP ' + response.status);
      else if (answer.status !== 200) showError('/wechat answered HTTP ' + answer.status);
    } catch (e) {
      showError('Could not reach the service: ' + e.message);
    } finally {
      button.disabled = false;
    }
  }

  function sendTyped() {
    const input = $('text');
    const text = input.value;
    if (voiceMode) {
      send({ type: 'voice', recognition: text.trim() });
    } else {
      if (!text.trim()) return;
      send({ type: 'text', content: text });
    }
    input.value = '';
    input.focus();
  }

  function toggleVoice() {
    voiceMode = !voiceMode;
    $('voice-toggle').setAttribute('aria-pressed', String(voiceMode));
    $('text').placeholder = voiceMode ? 'What speech recognition heard (empty: nothing)' : 'Message';
    $('send').textContent = voiceMode ? 'Speak' : 'Send';
  }

  // ---- set-up ----

  function askForToken() {
    $('app').hidden = true;
    $('token-form').hidden = false;
    $('token-input').focus();
  }

  async function start() {
    let response = await fetch('/sandbox/info', { headers: headers() });
    if (response.status === 403) return askForToken();
    const info = await response.json();
    const badge = $('model-badge');
    if (info.demoModel) {
      badge.textContent = 'Demo model · set OPENAI_API_KEY for a real one';
    } else {
      badge.textContent = 'Model: ' + info.model;
      badge.classList.add('badge-real');
    }
    if (info.encrypted) $('crypto-badge').textContent = 'encrypted callbacks (safe mode)';
    const menu = $('menu');
    for (const key of info.menuKeys.slice().reverse()) {
      const button = el('button', null, '☰ ' + key);
      button.type = 'button';
      button.dataset.action = 'click';
      button.dataset.key = key;
      menu.prepend(button);
    }
    accounts = info.accounts || ['default'];
    renderFollowers();
    watch();
  }

  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    token = $('token-input').value.trim();
    sessionStorage.setItem('oac.adminToken', token);
    $('token-form').hidden = true;
    $('app').hidden = false;
    start();
  });
  $('send').addEventListener('click', sendTyped);
  $('text').addEventListener('keydown', (event) => { if (event.key === 'Enter' && !event.isComposing) sendTyped(); });
  $('voice-toggle').addEventListener('click', toggleVoice);
  $('menu').addEventListener('click', (event) => {
    const button = event.target.closest('button');
    if (!button) return;
    const action = button.dataset.action;
    if (action === 'continue') send({ type: 'text', content: '继续' });
    else if (action === 'click') send({ type: 'click', eventKey: button.dataset.key });
    else send({ type: action });
  });

  start();
})();
