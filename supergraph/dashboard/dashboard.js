// The ward / pharmacy screen: the open requests a person may see, most urgent
// first, kept current by the requestStatusChanged subscription. It renews its
// session before the access token expires, reconnects by itself with back-off
// (a fresh token each time), refetches what it may have missed, and says loudly
// when it is not live. No build step: graphql-ws is served as is.
import { createClient } from './vendor/graphql-ws/client.js';
import { label, t, translatePage } from './labels.js';

const endpoint = new URL('/graphql', location.href);
const OPEN = ['PENDING', 'ACCEPTED', 'PREPARING', 'IN_TRANSIT', 'IN_PROGRESS'];
const URGENCY = ['STAT', 'ASAP', 'URGENT', 'ROUTINE'];
/** Minutes a request may wait PENDING before it shows as overdue. */
const OVERDUE_MINUTES = { STAT: 2, ASAP: 10, URGENT: 30, ROUTINE: 120 };
const settings = new URLSearchParams(location.search);
/** How long a closed request stays on the screen (`?closedSeconds=` for tests). */
const CLOSED_MS = 1000 * Number(settings.get('closedSeconds') ?? 60);
/** The open work is read again this often too, in case an update was missed. */
const REFETCH_MS = 1000 * Number(settings.get('refetchSeconds') ?? 30);
const NEXT = {
  MEDICINE: { PENDING: 'ACCEPTED', ACCEPTED: 'PREPARING', PREPARING: 'IN_TRANSIT', IN_TRANSIT: 'COMPLETED' },
  MATERIAL: { PENDING: 'ACCEPTED', ACCEPTED: 'PREPARING', PREPARING: 'IN_TRANSIT', IN_TRANSIT: 'COMPLETED' },
  ASSISTANCE: { PENDING: 'ACCEPTED', ACCEPTED: 'IN_PROGRESS', IN_PROGRESS: 'COMPLETED' },
};
const STAFF = ['PHARMACIST', 'TECHNICIAN', 'ADMIN'];
/** Requests a page: within the gateway's cost limit for these fields. */
const PAGE = 50;
const FIELDS = `id kind priority status createdAt quantity feedback escalationLevel
  requester { name } assignee { name } medicine { name unit controlled } material { name unit } assistanceType { name } dispenser { code unit location }`;

const requests = new Map();
/** When each closed request leaves the screen. */
const leaving = new Map();
const $ = (id) => document.getElementById(id);
let session; // { accessToken, refreshToken, expiresAt }
let me;

async function graphql(query, variables = {}, token = session?.accessToken) {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors?.length) throw Object.assign(new Error(body.errors[0].message), { code: body.errors[0].extensions?.code });
  return body.data;
}

function keep(payload) {
  session = { accessToken: payload.accessToken, refreshToken: payload.refreshToken, expiresAt: Date.now() + payload.expiresIn * 1000 };
  sessionStorage.setItem('asky-session', JSON.stringify(session));
}

/** An access token good for at least another minute: renewed with the refresh token when not. */
async function freshToken() {
  if (session && session.expiresAt - Date.now() > 60_000) return session.accessToken;
  const { refreshToken } = await graphql(
    'mutation ($t: String!) { refreshToken(refreshToken: $t) { accessToken expiresIn refreshToken } }',
    { t: session.refreshToken },
    null,
  );
  keep(refreshToken);
  return session.accessToken;
}

function age(iso) {
  const minutes = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60000));
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

const overdue = (r) => r.status === 'PENDING' && (r.escalationLevel > 0 || Date.now() - Date.parse(r.createdAt) > OVERDUE_MINUTES[r.priority] * 60_000);

function itemCell(r) {
  const td = document.createElement('td');
  const item = r.medicine ?? r.material ?? r.assistanceType;
  const unit = r.medicine?.unit ?? r.material?.unit;
  td.textContent = `${item?.name ?? label(r.kind)}${r.quantity ? ` × ${r.quantity}${unit ? ` ${label(unit)}` : ''}` : ''}`;
  if (r.medicine?.controlled) td.append(Object.assign(document.createElement('span'), { className: 'controlled', textContent: t('CONTROLLED'), title: t('Controlled: completing it needs a witness') }));
  if (r.escalationLevel > 0) td.append(Object.assign(document.createElement('span'), { className: 'escalated', textContent: `▲ ${t('escalated')} ×${r.escalationLevel}` }));
  return td;
}

async function move(r, status) {
  let note;
  if (status === 'REJECTED') {
    note = prompt(`Why reject this ${r.kind.toLowerCase()} request? (the requester sees it)`);
    if (!note) return;
  }
  try {
    const { updateRequestStatus } = await graphql(`mutation ($id: ID!, $s: RequestStatus!, $note: String) { updateRequestStatus(id: $id, status: $s, note: $note) { ${FIELDS} } }`, { id: r.id, s: status, note });
    upsert(updateRequestStatus);
  } catch (err) {
    alert(err.message);
  }
}

function actionsCell(r) {
  const td = document.createElement('td');
  const next = NEXT[r.kind]?.[r.status];
  if (!STAFF.includes(me.role) || !next) return td;
  const button = (text, status, className) => {
    const b = Object.assign(document.createElement('button'), { type: 'button', textContent: text, className: className ?? '' });
    b.addEventListener('click', () => move(r, status));
    td.append(b);
  };
  button(next === 'ACCEPTED' ? t('Accept') : `→ ${label(next).toLowerCase()}`, next);
  if (next !== 'COMPLETED') button(t('Reject'), 'REJECTED', 'reject');
  return td;
}

let alarmed = new Set();
function beep() {
  try {
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    tone.frequency.value = 880;
    tone.connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.3);
  } catch {
    // no sound on this device
  }
}

function render(changedId) {
  const unit = $('unit').value;
  const kind = $('kind').value;
  const now = Date.now();
  for (const [id, at] of leaving) if (at <= now) (requests.delete(id), leaving.delete(id));
  const rows = [...requests.values()]
    .filter((r) => (!unit || r.dispenser?.unit === unit) && (!kind || r.kind === kind))
    .sort((a, b) => URGENCY.indexOf(a.priority) - URGENCY.indexOf(b.priority) || Date.parse(a.createdAt) - Date.parse(b.createdAt));
  const newlyOverdue = rows.filter((r) => overdue(r) && !alarmed.has(r.id));
  if (newlyOverdue.length) beep();
  alarmed = new Set(rows.filter(overdue).map((r) => r.id));
  $('count').textContent = `${rows.filter((r) => OPEN.includes(r.status)).length} ${t('open')}`;
  $('rows').replaceChildren(
    ...rows.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.id = r.id;
      tr.className = [r.id === changedId ? 'changed' : '', overdue(r) ? 'overdue' : '', OPEN.includes(r.status) ? '' : 'closed'].join(' ').trim();
      const text = (value, className) => {
        const td = document.createElement('td');
        if (className) td.append(Object.assign(document.createElement('span'), { className, textContent: value }));
        else td.textContent = value;
        return td;
      };
      tr.append(
        text(label(r.priority), r.priority),
        text(label(r.status), `badge ${r.status}`),
        itemCell(r),
        text(r.requester?.name ?? ''),
        text(r.assignee?.name ?? '—'),
        text(r.dispenser ? `${r.dispenser.code} — ${r.dispenser.location}` : ''),
        text(r.feedback ?? ''),
        text(age(r.createdAt)),
        actionsCell(r),
      );
      return tr;
    }),
  );
}

function upsert(request) {
  requests.set(request.id, request);
  if (OPEN.includes(request.status)) leaving.delete(request.id);
  else if (!leaving.has(request.id)) {
    leaving.set(request.id, Date.now() + CLOSED_MS);
    setTimeout(() => render(), CLOSED_MS + 50); // it leaves when its time is up, not at the next periodic render (up to 15 s later)
  }
  render(request.id);
}

/** Every open request the person may see, page by page: what the screen shows after (re)connecting. */
async function loadOpenWork() {
  const open = new Map();
  for (let after = null; ; ) {
    const { requests: page } = await graphql(`query ($after: String) { requests(filter: { status: [${OPEN.join(', ')}] }, first: ${PAGE}, after: $after) { ${FIELDS} } }`, { after });
    for (const r of page) open.set(r.id, r);
    if (page.length < PAGE) break;
    after = page.at(-1).id;
  }
  for (const [id, r] of requests) if (!open.has(id) && OPEN.includes(r.status)) requests.delete(id); // closed while we were away
  for (const r of open.values()) requests.set(r.id, r);
  const units = [...new Set([...open.values()].map((r) => r.dispenser?.unit).filter(Boolean))].sort();
  $('unit').replaceChildren(new Option(t('All units'), ''), ...units.map((u) => new Option(u, u, false, u === $('unit').value)));
  render();
}

function live(connected) {
  $('banner').hidden = connected;
  $('connection').textContent = t(connected ? 'Live' : 'Not live');
  document.body.classList.toggle('offline', !connected);
}

async function start() {
  await freshToken();
  ({ me } = await graphql('{ me { name role } }'));
  $('who').textContent = `${me.name} (${label(me.role).toLowerCase()})`;
  $('login').hidden = true;
  $('board').hidden = false;
  for (const id of ['unit', 'kind']) $(id).addEventListener('change', () => render());
  setInterval(() => render(), 15_000);
  setInterval(() => loadOpenWork().catch(() => undefined), REFETCH_MS);
  // Renew the session a minute before the access token expires, connected or not.
  setInterval(() => freshToken().catch(() => undefined), 30_000);
  connect(0);
  offerPush();
}

/**
 * Web Push, for when this screen is not looked at: the service worker shows
 * what the request service pushes. Subscribing asks the browser's push service,
 * on the person's click (browsers require one for the permission).
 */
async function offerPush() {
  if (!('serviceWorker' in navigator) || !('PushManager' in window)) return;
  const registration = await navigator.serviceWorker.register('sw.js');
  $('notify').hidden = false;
  $('notify').addEventListener('click', async () => {
    try {
      if ((await Notification.requestPermission()) !== 'granted') throw new Error('permission refused');
      const { pushSettings } = await graphql('{ pushSettings { publicKey } }');
      // A fresh endpoint: one left by someone else on this browser stays hers until she unregisters it.
      await (await registration.pushManager.getSubscription())?.unsubscribe();
      const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: pushSettings.publicKey });
      const { endpoint, keys } = subscription.toJSON();
      await graphql('mutation ($s: PushSubscriptionInput!) { registerPush(subscription: $s) }', { s: { endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth } } });
      $('notify-state').textContent = t('Notifications on');
    } catch (err) {
      $('notify-state').textContent = `${t('Notifications unavailable')}: ${err.message}`;
    }
  });
}

/**
 * The live connection. graphql-ws retries most closes by itself, each time with
 * a fresh token; those it treats as final (4401, when a token expired) end the
 * subscription: then a new client is made, after a back-off, with a fresh token.
 */
function connect(failures) {
  const client = createClient({
    url: endpoint.href.replace(/^http/, 'ws'),
    connectionParams: async () => ({ authorization: `Bearer ${await freshToken()}` }),
    lazy: false,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    retryWait: (retries) => pause(retries),
    on: {
      connected: () => {
        failures = 0;
        live(true);
        // What changed while it was not live.
        loadOpenWork().catch((err) => ($('connection').textContent = `Live, but the list could not be loaded: ${err.message}`));
      },
      closed: () => live(false),
    },
  });
  client.subscribe(
    // Creations, moves and escalations alike: the request as it is now.
    { query: `subscription { requestStatusChanged { type status request { ${FIELDS} } } }` },
    {
      next: ({ data, errors }) => {
        if (data?.requestStatusChanged?.request) return upsert(data.requestStatusChanged.request);
        // An update Asky could not read now: this screen may be out of date until the list loads again.
        if (errors?.some((e) => e.extensions?.refetch)) refetchUntilLoaded(0);
      },
      error: () => {
        live(false);
        client.dispose();
        pause(failures).then(() => connect(failures + 1));
      },
      complete: () => undefined,
    },
  );
}

/** Shows the screen as not live and loads the list again, with back-off, until it loads. */
function refetchUntilLoaded(retries) {
  live(false);
  loadOpenWork().then(
    () => live(true),
    () => pause(retries).then(() => refetchUntilLoaded(retries + 1)),
  );
}

/** Exponential back-off with jitter, at most 10 s. */
const pause = (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 500 * 2 ** retries) * (0.5 + Math.random() / 2)));

$('login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    const { login } = await graphql(
      'mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken expiresIn refreshToken } }',
      { email: form.get('email'), password: form.get('password') },
      null,
    );
    keep(login);
    await start();
  } catch (err) {
    $('login-error').textContent = err.message;
  }
});

translatePage();
for (const option of $('kind').options) if (option.value) option.textContent = label(option.value);

const saved = sessionStorage.getItem('asky-session');
if (saved) {
  session = JSON.parse(saved);
  start().catch(() => ($('login').hidden = false));
} else {
  $('login').hidden = false;
}
