// The ward / pharmacy screen: requests by priority, kept current by the
// requestStatusChanged subscription. No build step: graphql-ws is served as is.
import { createClient } from './vendor/graphql-ws/client.js';

const endpoint = new URL('/graphql', location.href);
const FIELDS = `id kind priority status createdAt
  requester { name } medicine { name } material { name } assistanceType { name } dispenser { code location }`;
const URGENCY = ['STAT', 'ASAP', 'URGENT', 'ROUTINE'];
const requests = new Map();
const $ = (id) => document.getElementById(id);

async function graphql(query, variables, token) {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors?.length) throw new Error(body.errors[0].message);
  return body.data;
}

function age(iso) {
  const minutes = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60000));
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

const itemOf = (r) => r.medicine?.name ?? r.material?.name ?? r.assistanceType?.name ?? r.kind;

function render(changedId) {
  const rows = [...requests.values()].sort(
    (a, b) => URGENCY.indexOf(a.priority) - URGENCY.indexOf(b.priority) || Date.parse(a.createdAt) - Date.parse(b.createdAt),
  );
  $('rows').replaceChildren(
    ...rows.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.id = r.id;
      if (r.id === changedId) tr.className = 'changed';
      const cells = [
        [r.priority, r.priority],
        [r.status.replace('_', ' '), `badge ${r.status}`],
        [`${itemOf(r)} (${r.kind.toLowerCase()})`],
        [r.requester?.name ?? ''],
        [r.dispenser ? `${r.dispenser.code} — ${r.dispenser.location}` : ''],
        [age(r.createdAt)],
      ];
      for (const [text, className] of cells) {
        const td = document.createElement('td');
        if (className) {
          const span = document.createElement('span');
          span.className = className;
          span.textContent = text;
          td.append(span);
        } else {
          td.textContent = text;
        }
        tr.append(td);
      }
      return tr;
    }),
  );
}

async function start(token) {
  const { me, requests: list } = await graphql(`{ me { name role } requests(first: 100) { ${FIELDS} } }`, {}, token);
  $('who').textContent = `${me.name} (${me.role.toLowerCase()})`;
  for (const r of list) requests.set(r.id, r);
  $('login').hidden = true;
  $('board').hidden = false;
  render();
  setInterval(() => render(), 30_000);
  const client = createClient({
    url: endpoint.href.replace(/^http/, 'ws'),
    connectionParams: { authorization: `Bearer ${token}` },
    on: {
      connected: () => ($('connection').textContent = 'Live'),
      closed: (event) => {
        $('connection').textContent = event.code === 4401 ? 'Session ended: log in again' : 'Reconnecting…';
        if (event.code === 4401) sessionStorage.removeItem('asky-token');
      },
    },
  });
  client.subscribe(
    { query: `subscription { requestStatusChanged { status request { ${FIELDS} } } }` },
    {
      next: ({ data }) => {
        const request = data?.requestStatusChanged?.request;
        if (!request) return;
        requests.set(request.id, request);
        render(request.id);
      },
      error: () => ($('connection').textContent = 'Connection lost'),
      complete: () => undefined,
    },
  );
}

$('login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    const { login } = await graphql(
      'mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }',
      { email: form.get('email'), password: form.get('password') },
    );
    sessionStorage.setItem('asky-token', login.accessToken);
    await start(login.accessToken);
  } catch (err) {
    $('login-error').textContent = err.message;
  }
});

const saved = sessionStorage.getItem('asky-token');
if (saved) start(saved).catch(() => ($('login').hidden = false));
else $('login').hidden = false;
