// Switchboard chat widget, served at /widget.js. The README's "Web chat
// widget" section documents it: the snippet, how a chat resumes, and the
// Content-Security-Policy a site needs. No dependencies, no eval, no inline
// script or style, no HTML parsing (the DOM is built with createElement and
// textContent), so it runs under a strict CSP with Trusted Types.
(() => {
  'use strict';
  const me = document.currentScript;
  const token = me && me.dataset.switchboardToken;
  const mark = Symbol.for('switchboard.chat');
  if (!token || window[mark]) return;
  window[mark] = true;

  const api = new URL('graphql', me.src).href;
  const wsURL = api.replace(/^http/, 'ws');
  const KEY = 'switchboard.chat.' + token;
  const ENDED = ['WRAP_UP', 'CLOSED', 'ABANDONED'];
  const MSG = 'sb:message'; // the offline form's message: never a pre-chat field's name

  const SUB = `subscription($id: ID!, $after: String) { engagementEvents(id: $id, after: $after) {
  sequence topic details { __typename
    ... on MessageCreated { messageID sender body }
    ... on EngagementStateChanged { from to }
    ... on TypingChanged { typing by }
    ... on MessageRead { messageID by }
    ... on QueuePosition { position expectedWaitSeconds }
    ... on PostSessionChanged { status } } } }`;
  const CONFIG = `query($t: String!) { chatWidget(token: $t) {
  title open nextOpening consentQuestion preChatFields { name label type required } } }`;
  const START = `mutation($in: StartChatInput!) { startChat(input: $in) { customerToken engagement { id state } } }`;
  const LEAVE = `mutation($in: LeaveMessageInput!) { leaveMessage(input: $in) { received } }`;
  const POST = `mutation($e: ID!, $b: String!) { postMessage(input: {engagementID: $e, body: $b}) { message { id } } }`;
  const TYPING = `mutation($e: ID!, $t: Boolean!) { setTyping(engagementID: $e, typing: $t) }`;
  const READ = `mutation($e: ID!, $m: ID!) { markRead(engagementID: $e, messageID: $m) }`;
  const END = `mutation($e: ID!) { endEngagement(id: $e) { engagement { state } } }`;
  const CONSENT = `mutation($e: ID!, $a: Boolean!) { answerPostSessionConsent(engagementID: $e, accept: $a) { engagement { id } } }`;

  const CSS = `:host{all:initial;position:fixed;right:16px;bottom:16px;z-index:2147483000;font:15px/1.4 system-ui,sans-serif;color:#1b1b1b}
*{box-sizing:border-box;font:inherit}
[hidden]{display:none!important}
button{cursor:pointer;border:0;border-radius:6px;padding:8px 14px;background:#1a4b8c;color:#fff}
button.alt{background:#fff;color:#1a4b8c;border:1px solid #1a4b8c}
button:focus-visible,input:focus-visible,textarea:focus-visible{outline:3px solid #f2a900;outline-offset:2px}
.launch{display:block;margin-left:auto;border-radius:24px;padding:12px 20px;box-shadow:0 2px 8px #0004}
.panel{width:min(360px,calc(100vw - 32px));max-height:min(560px,calc(100vh - 90px));display:flex;flex-direction:column;background:#fff;border:1px solid #c4c9d0;border-radius:10px;box-shadow:0 4px 16px #0003;margin-bottom:10px;overflow:hidden}
header{display:flex;align-items:center;justify-content:space-between;background:#1a4b8c;color:#fff;padding:8px 12px}
h2{margin:0;font-weight:600}
header button{background:none;font-size:20px;padding:2px 8px}
.body{padding:12px;overflow-y:auto;flex:1}
form p,.body>p{margin:0 0 10px}
label{display:block;font-weight:600;margin-bottom:2px}
input,textarea{width:100%;padding:7px;border:1px solid #6b7280;border-radius:5px;background:#fff;color:#1b1b1b}
textarea{resize:vertical;min-height:60px}
ol{list-style:none;margin:0 0 8px;padding:0}
li{margin:6px 0;max-width:85%;padding:6px 10px;border-radius:10px;background:#eef1f5;white-space:pre-wrap;overflow-wrap:anywhere}
li.me{margin-left:auto;background:#1a4b8c;color:#fff}
li.note{max-width:none;background:none;text-align:center;color:#4b5563;font-size:13px}
.who{display:block;font-size:12px;font-weight:600}
.read{display:block;font-size:12px;text-align:right}
.status,.typing{color:#4b5563;font-size:13px;margin:0 0 8px}
.err{color:#a40000;font-weight:600}
.row{display:flex;gap:8px;flex-wrap:wrap;margin-top:8px}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}`;

  // el builds an element: attrs are attributes (null or false leave one
  // out), "text" its text and "on…" its event listeners.
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    e.append(...kids.filter(Boolean));
    return e;
  };

  // Session state: the customer token, the engagement, the last event's
  // cursor and what the conversation showed, kept in sessionStorage so the
  // chat survives reloads and navigation within the site (same tab).
  let S = null;
  const load = () => { try { return JSON.parse(sessionStorage.getItem(KEY)); } catch { return null; } };
  const save = () => {
    try { if (S) sessionStorage.setItem(KEY, JSON.stringify(S)); } catch {
      // Storage full or off: keep the chat going; a reload replays it all.
      try { sessionStorage.setItem(KEY, JSON.stringify({...S, c: '0', m: []})); } catch { /* no storage */ }
    }
  };
  const forget = () => { S = null; try { sessionStorage.removeItem(KEY); } catch { /* no storage */ } };

  // gql runs a query or mutation over HTTP POST; a GraphQL error throws an
  // Error whose ext holds its extensions.
  const gql = async (query, variables, auth) => {
    const headers = {'Content-Type': 'application/json'};
    if (auth) headers.Authorization = 'Bearer ' + auth;
    let out;
    try {
      const res = await fetch(api, {method: 'POST', headers, body: JSON.stringify({query, variables}), credentials: 'omit'});
      out = await res.json();
    } catch {
      throw Object.assign(new Error('The chat service cannot be reached. Check your connection and try again.'), {ext: {}});
    }
    const e = out.errors && out.errors[0];
    if (e) throw Object.assign(new Error(e.message), {ext: e.extensions || {}});
    return out.data;
  };

  // The user interface, in a shadow root.
  const host = el('aside', {'aria-label': 'Chat'});
  const root = host.attachShadow({mode: 'open'});
  // A constructed stylesheet: no <style> element, which CSP's style-src
  // would have to allow.
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
  root.adoptedStyleSheets = [sheet];
  const unread = el('span');
  const launcher = el('button', {class: 'launch', type: 'button', 'aria-expanded': 'false', 'aria-controls': 'sb-panel',
    onclick: () => toggle(launcher.getAttribute('aria-expanded') !== 'true')}, 'Chat with us', unread);
  const title = el('h2', {id: 'sb-title', text: 'Chat'});
  const status = el('p', {class: 'status', role: 'status'});
  const errorLine = el('p', {class: 'err', role: 'alert'});
  const view = el('div');
  const log = el('ol');
  const typing = el('p', {class: 'typing', hidden: true, text: 'The agent is typing…'});
  const scroller = el('div', {class: 'body'}, status,
    el('div', {role: 'log', 'aria-label': 'Conversation', 'aria-live': 'polite'}, log), typing, errorLine, view);
  const panel = el('div', {class: 'panel', id: 'sb-panel', role: 'dialog', 'aria-labelledby': 'sb-title', hidden: true,
    onkeydown: e => { if (e.key === 'Escape') { toggle(false); launcher.focus(); } }},
  el('header', {}, title, el('button', {type: 'button', 'aria-label': 'Minimise the chat', text: '×',
    onclick: () => { toggle(false); launcher.focus(); }})),
  scroller);
  root.append(panel, launcher);

  let config = null;
  let sock = null;
  let attempt = 0;
  let retryTimer = 0;
  let subID = 0;
  let lastIn = 0;
  let newCount = 0;
  const items = new Map(); // message id → its li

  const say = (node, text) => { node.textContent = text || ''; };
  const fail = e => say(errorLine, e ? (e.ext && e.ext.code === 'LIMIT_EXCEEDED' && e.ext.retryAfter
    ? `Too many attempts. Please try again in ${e.ext.retryAfter} seconds.` : e.message) : '');
  const show = (...nodes) => { view.replaceChildren(...nodes.filter(Boolean)); fail(); };
  const focusFirst = () => { const f = view.querySelector('input,textarea,button'); if (f) f.focus(); };

  function toggle(open, quiet) {
    panel.hidden = !open;
    launcher.setAttribute('aria-expanded', String(open));
    if (S) { S.open = open; save(); }
    if (!open) return;
    newCount = 0;
    say(unread, '');
    if (!S && !config) loadConfig();
    else if (!quiet) focusFirst();
    readUp();
  }

  // Before a chat: the entry point's settings, then the pre-chat form or,
  // when closed, the offline form.
  async function loadConfig() {
    show(el('p', {text: 'Loading…'}));
    try {
      config = (await gql(CONFIG, {t: token})).chatWidget;
    } catch (e) {
      show(el('button', {type: 'button', class: 'alt', text: 'Try again', onclick: loadConfig}));
      fail(e);
      return;
    }
    say(title, config.title);
    if (config.open) preChat(); else offline();
    focusFirst();
  }

  // fieldsFor renders the configured pre-chat fields, with values kept from
  // a previous form.
  function fieldsFor(prefix, values) {
    return config.preChatFields.map(f => {
      const id = prefix + f.name;
      const attrs = {id, name: f.name, required: f.required, 'aria-required': f.required ? 'true' : null};
      const input = f.type === 'TEXTAREA' ? el('textarea', attrs)
        : el('input', {...attrs, type: {EMAIL: 'email', PHONE: 'tel'}[f.type] || 'text',
          autocomplete: {EMAIL: 'email', PHONE: 'tel'}[f.type] || (f.name === 'name' ? 'name' : null)});
      input.value = (values && values[f.name]) || '';
      return el('p', {}, el('label', {for: id, text: f.label + (f.required ? ' (required)' : '')}), input);
    });
  }

  // answersOf reads a form: the pre-chat fields as answers, and the name,
  // email and phone fields as the visitor's contact details.
  function answersOf(form) {
    const answers = [];
    const visitor = {};
    const values = {};
    const asked = new Set(config.preChatFields.map(f => f.name));
    for (const f of form.querySelectorAll('[name]')) {
      values[f.name] = f.value.trim();
      if (!values[f.name] || f.name === MSG) continue;
      if (asked.has(f.name)) answers.push({name: f.name, value: values[f.name]});
      const kind = f.type === 'email' ? 'email' : f.type === 'tel' ? 'phone' : f.name === 'name' ? 'name' : '';
      if (kind) visitor[kind] = values[f.name];
    }
    return {answers, visitor, values};
  }

  const submitting = (form, on) => { for (const b of form.querySelectorAll('button')) b.disabled = on; };

  function preChat(values) {
    const form = el('form', {onsubmit: async e => {
      e.preventDefault();
      const {answers, visitor, values: kept} = answersOf(form);
      submitting(form, true);
      try {
        const d = (await gql(START, {in: {token, visitor, answers, pageURL: location.href, language: navigator.language}})).startChat;
        S = {t: d.customerToken, e: d.engagement.id, c: '0', m: [], st: d.engagement.state, open: true,
          q: config.consentQuestion, title: config.title};
        save();
        conversation();
        box.focus();
        connect();
      } catch (err) {
        submitting(form, false);
        if (err.ext.reason === 'CLOSED') {
          config.nextOpening = err.ext.nextOpening || config.nextOpening;
          offline(kept);
        } else fail(err);
      }
    }}, ...fieldsFor('sb-pre-', values), el('button', {text: 'Start chat'}));
    show(form);
  }

  function offline(values) {
    const when = config.nextOpening ? ` We open again ${new Date(config.nextOpening).toLocaleString()}.` : '';
    const hasEmail = config.preChatFields.some(f => f.type === 'EMAIL');
    const form = el('form', {onsubmit: async e => {
      e.preventDefault();
      const {answers, visitor, values: v} = answersOf(form);
      submitting(form, true);
      try {
        await gql(LEAVE, {in: {token, visitor, answers, message: v[MSG], pageURL: location.href, language: navigator.language}});
        show(el('p', {tabindex: '-1', text: 'Thank you. We received your message and will get back to you.'}));
        view.firstChild.focus();
      } catch (err) {
        submitting(form, false);
        fail(err);
      }
    }},
    el('p', {text: 'No one is available to chat right now.' + when + ' Leave a message and we will reply.'}),
    ...fieldsFor('sb-off-', values),
    hasEmail ? null : el('p', {}, el('label', {for: 'sb-off-email', text: 'Email (for our reply)'}),
      el('input', {id: 'sb-off-email', name: 'sb:email', type: 'email', autocomplete: 'email'})),
    el('p', {}, el('label', {for: 'sb-off-message', text: 'Message (required)'}),
      el('textarea', {id: 'sb-off-message', name: MSG, required: true, 'aria-required': 'true'})),
    el('button', {text: 'Send message'}));
    if (values && values[MSG]) form.querySelector('#sb-off-message').value = values[MSG];
    show(form);
  }

  // The conversation: the log, and the composer while the chat runs (a
  // post-session survey too); once it ended, the consent question when
  // asked and a way to start again.
  let box;
  let typingSent = false;
  let typingTimer = 0;
  function conversation() {
    say(title, S.title || 'Chat');
    if (S.consent || ENDED.includes(S.st)) return ended();
    box = el('textarea', {id: 'sb-message', rows: '2', oninput: typed,
      onkeydown: e => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); } }});
    const form = el('form', {onsubmit: send},
      el('label', {for: 'sb-message', class: 'vh', text: 'Message'}), box,
      el('div', {class: 'row'}, el('button', {text: 'Send'}),
        el('button', {type: 'button', class: 'alt', text: 'End chat', onclick: endChat})));
    show(form);
  }

  const setTyping = on => { typingSent = on; gql(TYPING, {e: S.e, t: on}, S.t).catch(() => {}); };
  function typed() {
    if (!typingSent) setTyping(true);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => setTyping(false), 3000);
  }

  async function send(e) {
    e.preventDefault();
    const body = box.value.trim();
    if (!body) return;
    if (new TextEncoder().encode(body).length > 8192) return fail(new Error('The message is too long (at most 8 KiB).'));
    box.value = '';
    clearTimeout(typingTimer);
    if (typingSent) setTyping(false);
    try {
      await gql(POST, {e: S.e, b: body}, S.t);
      fail();
    } catch (err) {
      if (!box.value) box.value = body;
      fail(err);
    }
  }

  async function endChat() {
    try { await gql(END, {e: S.e}, S.t); } catch (err) { fail(err); }
  }

  function ended() {
    const q = S.consent ? el('div', {},
      el('p', {id: 'sb-consent', text: S.q || 'May we ask you a few questions about this chat?'}),
      el('div', {class: 'row', role: 'group', 'aria-labelledby': 'sb-consent'},
        el('button', {type: 'button', text: 'Yes', onclick: () => consent(true)}),
        el('button', {type: 'button', class: 'alt', text: 'No', onclick: () => consent(false)}))) : null;
    show(el('p', {text: 'The chat has ended. Thank you!'}), q,
      el('button', {type: 'button', class: 'alt', text: 'Start a new chat', onclick: restart}));
  }

  async function consent(accept) {
    try {
      await gql(CONSENT, {e: S.e, a: accept}, S.t);
      S.consent = false;
      save();
      if (accept) conversation(); else ended();
    } catch (err) { fail(err); }
  }

  // hangUp closes the socket for good.
  const hangUp = () => { if (sock) { sock.onclose = null; sock.close(1000); sock = null; } };

  function restart() {
    hangUp();
    clearTimeout(retryTimer);
    forget();
    log.replaceChildren();
    items.clear();
    say(status, '');
    typing.hidden = true;
    config = null;
    loadConfig();
  }

  // render adds one entry of the conversation to the log.
  function render(m) {
    if (m.n) return log.append(el('li', {class: 'note', text: m.n}));
    const mine = m.s === 'CUSTOMER';
    const li = el('li', {class: mine ? 'me' : null},
      el('span', {class: 'who', text: mine ? 'You' : m.s === 'AGENT' ? 'Agent' : m.s === 'BOT' ? 'Assistant' : 'Notice'}), m.b);
    items.set(m.i, li);
    log.append(li);
    scroller.scrollTop = scroller.scrollHeight;
  }

  // showRead marks the visitor's last message the agent has read.
  function showRead() {
    for (const r of log.querySelectorAll('.read')) r.remove();
    const upTo = S.m.findIndex(m => m.i === S.r);
    for (let i = upTo; i >= 0; i--) {
      if (S.m[i].s === 'CUSTOMER') return items.get(S.m[i].i).append(el('span', {class: 'read', text: 'Read'}));
    }
  }

  // readUp tells the server the visitor has seen the agent's last message.
  function readUp() {
    if (!S || panel.hidden || document.visibilityState !== 'visible') return;
    const last = [...S.m].reverse().find(m => m.i && m.s !== 'CUSTOMER');
    if (last && S.seen !== last.i) {
      S.seen = last.i;
      save();
      gql(READ, {e: S.e, m: last.i}, S.t).catch(() => {});
    }
  }

  const note = text => { const m = {n: text}; S.m.push(m); render(m); };
  const minutes = s => s < 90 ? 'about a minute' : `about ${Math.round(s / 60)} minutes`;

  // apply takes one event of the engagement's stream.
  function apply(ev) {
    const d = ev.details || {};
    switch (d.__typename) {
    case 'MessageCreated': {
      const m = {i: d.messageID, s: d.sender, b: d.body};
      if (items.has(m.i)) return;
      S.m.push(m);
      render(m);
      if (m.s !== 'CUSTOMER') {
        typing.hidden = true;
        if (panel.hidden) say(unread, ` (${++newCount} new)`);
        readUp();
      }
      return;
    }
    case 'EngagementStateChanged':
      S.st = d.to;
      if (d.to !== 'QUEUED' && d.to !== 'OFFERED') say(status, S.qt = '');
      if (d.to === 'CONNECTED' && d.from !== 'PARKED') note('An agent joined the chat.');
      if (d.to === 'QUEUED' && d.from !== 'OFFERED') note('The agent left. Waiting for another agent…');
      if (ENDED.includes(d.to) && !S.over) { S.over = true; note('The chat has ended.'); typing.hidden = true; }
      if (ENDED.includes(d.to) !== ENDED.includes(d.from) || d.to === 'POST_SESSION') conversation();
      return;
    case 'TypingChanged':
      if (d.by === 'AGENT') typing.hidden = !d.typing;
      return;
    case 'MessageRead':
      if (d.by === 'AGENT') { S.r = d.messageID; showRead(); }
      return;
    case 'QueuePosition':
      if (S.st === 'QUEUED' || S.st === 'OFFERED') {
        say(status, S.qt = `You are number ${d.position} in the queue.` +
          (d.expectedWaitSeconds == null ? '' : ` Expected wait: ${minutes(d.expectedWaitSeconds)}.`));
      }
      return;
    case 'PostSessionChanged':
      S.consent = d.status === 'AWAITING_CONSENT';
      conversation();
    }
  }

  // later reports whether cursor a comes after b (decimal strings).
  const later = (a, b) => a.length !== b.length ? a.length > b.length : a > b;

  // The event stream: graphql-transport-ws over one websocket, resumed
  // after the last event seen; reconnects back off exponentially with
  // jitter. 4403 means the customer token is gone: start over.
  function connect() {
    clearTimeout(retryTimer);
    if (!S || S.done || sock) return;
    const ws = sock = new WebSocket(wsURL, 'graphql-transport-ws');
    const tx = m => { if (ws.readyState === 1) ws.send(JSON.stringify(m)); };
    const give = setTimeout(() => drop(ws), 10000); // open and acknowledged within 10 s
    ws.onopen = () => (lastIn = Date.now(), tx({type: 'connection_init', payload: {authorization: 'Bearer ' + S.t}}));
    ws.onmessage = e => {
      lastIn = Date.now();
      let m;
      try { m = JSON.parse(e.data); } catch { return drop(ws); }
      if (m.type === 'connection_ack') {
        clearTimeout(give);
        attempt = 0;
        say(status, S.qt);
        tx({id: String(++subID), type: 'subscribe', payload: {query: SUB, variables: {id: S.e, after: S.c}}});
      } else if (m.type === 'ping') tx({type: 'pong'});
      else if (m.type === 'next') next(ws, m.payload);
      else if (m.type === 'error') refused(ws, m.payload && m.payload[0]);
      else if (m.type === 'complete') { S.done = true; save(); ws.close(1000); }
    };
    ws.onclose = e => { clearTimeout(give); if (sock === ws) { sock = null; closed(e.code); } };
  }

  function next(ws, payload) {
    const ev = payload.data && payload.data.engagementEvents;
    if (!ev) return refused(ws, payload.errors && payload.errors[0]);
    if (!later(ev.sequence, S.c)) return; // seen before a reconnect: once only
    S.c = ev.sequence;
    apply(ev);
    save();
  }

  function refused(ws, e) {
    const code = e && e.extensions && e.extensions.code;
    if (code === 'UNAUTHENTICATED' || code === 'NOT_FOUND' || code === 'FORBIDDEN') return startOver();
    drop(ws);
  }

  // drop abandons a socket that failed or went silent and reconnects.
  function drop(ws) {
    ws.onclose = null;
    ws.close();
    if (sock === ws) { sock = null; closed(1006); }
  }

  function closed(code) {
    if (code === 4403) return startOver();
    if (!S || S.done) return;
    say(status, navigator.onLine ? 'Connection lost. Reconnecting…' : 'You are offline. The chat resumes when you are back online.');
    const d = Math.min(30000, 1000 * 2 ** attempt++);
    retryTimer = setTimeout(connect, d / 2 + Math.random() * d / 2);
  }

  function startOver() {
    restart();
    say(status, 'Your chat session has ended. You can start a new chat.');
  }

  // A silent socket is dead: the client pings every 10 s and gives up after
  // 25 s without hearing anything.
  setInterval(() => {
    if (!sock || sock.readyState !== 1) return;
    if (Date.now() - lastIn > 25000) drop(sock);
    else sock.send('{"type":"ping"}');
  }, 10000);
  window.addEventListener('online', () => { if (S && !sock) { attempt = 0; connect(); } });
  window.addEventListener('pagehide', hangUp);
  window.addEventListener('pageshow', e => { if (e.persisted) connect(); });
  document.addEventListener('visibilitychange', readUp);

  const boot = () => {
    document.body.append(host);
    S = load();
    if (!S) return;
    for (const m of S.m) render(m);
    conversation();
    if (S.r) showRead();
    say(status, S.qt);
    if (S.open) toggle(true, true);
    connect();
  };
  if (document.body) boot(); else document.addEventListener('DOMContentLoaded', boot);
})();
