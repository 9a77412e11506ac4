// docs/openapi.yaml against itself, docs/api.md and a real parleyd: the description must be a
// valid OpenAPI 3.0 document, every route docs/api.md describes must be in it (and the other
// way round), and what parleyd answers on each route must match the schema described for it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv';
import { ROOT, startServer } from './harness.mjs';

const SPEC = join(ROOT, 'docs/openapi.yaml');
const KEY = 'openapi-contract-key-5d1f0c2e';

let api; // the dereferenced document
let server;

before(async () => {
  api = await SwaggerParser.validate(SPEC);
  server = await startServer({ args: ['--api-keys', KEY] });
});
after(async () => server?.stop());

// Every server API route docs/api.md names in code, as in "### `PUT /api/v1/rooms/{room}/bans/{user}`"
// or a table's "`GET /api/v1/uploads/{id}`", query strings dropped; the users' own routes
// (/api/…, not /api/v1/…) are not the server API's.
function documentedRoutes() {
  const md = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');
  const routes = new Set();
  for (const m of md.matchAll(/`(GET|POST|PUT|DELETE) (\/api\/v1\/[^?`\s]*)/g)) routes.add(`${m[1]} ${m[2]}`);
  return routes;
}

function describedRoutes() {
  const routes = new Set();
  for (const [path, item] of Object.entries(api.paths)) {
    for (const method of ['get', 'post', 'put', 'delete']) {
      if (item[method]) routes.add(`${method.toUpperCase()} ${path}`);
    }
  }
  return routes;
}

test('the OpenAPI document is valid and describes the routes docs/api.md documents', () => {
  const documented = documentedRoutes();
  const described = describedRoutes();
  assert.ok(documented.size >= 20, `docs/api.md headings found: ${[...documented].join(', ')}`);
  const missing = [...documented].filter((r) => !described.has(r));
  assert.deepEqual(missing, [], 'documented in docs/api.md but not in docs/openapi.yaml');
  const undocumented = [...described].filter((r) => !documented.has(r));
  assert.deepEqual(undocumented, [], 'in docs/openapi.yaml but not documented in docs/api.md');
});

// The schema of an answer: paths[template][method].responses[status] → application/json.
function responseSchema(template, method, status) {
  const op = api.paths[template]?.[method.toLowerCase()];
  assert.ok(op, `${method} ${template} is not in docs/openapi.yaml`);
  const res = op.responses[String(status)];
  assert.ok(res, `${method} ${template} does not describe a ${status} answer`);
  return res.content?.['application/json']?.schema;
}

const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addFormat('int64', /^-?\d+$/);
const checked = new Set();

// Calls parleyd and checks the answer against the document: the status must be one it
// describes for the route, and a JSON body must match that status's schema.
async function call(method, template, params, { query = '', body, status = 200 } = {}) {
  let path = template;
  for (const [k, v] of Object.entries(params)) path = path.replace(`{${k}}`, encodeURIComponent(String(v)));
  const headers = { 'X-Parley-Api-Key': KEY };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${server.url}${path}${query}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.equal(res.status, status, `${method} ${path}${query}: ${text}`);
  const schema = responseSchema(template, method, status);
  const json = text ? JSON.parse(text) : undefined;
  if (schema) {
    const validate = ajv.compile(schema);
    assert.ok(validate(json), `${method} ${path}${query} → ${text}\n${ajv.errorsText(validate.errors)}`);
  }
  checked.add(`${method} ${template}`);
  return json;
}

test('parleyd answers every described route as the document says', async () => {
  const R = '/api/v1/rooms/{room}';
  await call('POST', '/api/v1/rooms', {}, { body: { room: 'general' }, status: 201 });
  await call('POST', '/api/v1/rooms', {}, { body: { room: 'general' } });
  await call('GET', R, { room: 'general' });
  for (const user of ['alice', 'bob', 'carol']) {
    await call('PUT', `${R}/members/{user}`, { room: 'general', user });
  }
  await call('POST', '/api/v1/direct', {}, { body: { users: ['alice', 'bob'] } });
  const sent = await call('POST', `${R}/messages`, { room: 'general' }, { body: { user: 'alice', text: 'the treasure' }, status: 201 });
  await call('POST', `${R}/messages`, { room: 'general' }, { body: { user: 'bob', text: 'a reply', reply_to: sent.seq }, status: 201 });
  await call('POST', `${R}/messages`, { room: 'general' }, { body: { system: true, text: 'from the system' }, status: 201 });
  await call('GET', `${R}/messages`, { room: 'general' }, { query: '?after=0&limit=10' });
  await call('GET', `${R}/messages/{seq}/thread`, { room: 'general', seq: sent.seq });
  await call('GET', `${R}/members`, { room: 'general' }, { query: '?limit=2' });
  await call('GET', '/api/v1/users/{user}/rooms', { user: 'alice' });
  await call('GET', '/api/v1/search', {}, { query: '?user=bob&q=treasure' });
  await call('GET', `${R}/online`, { room: 'general' });
  await call('PUT', `${R}/members/{user}/mute`, { room: 'general', user: 'bob' }, { body: { seconds: 60 } });
  await call('DELETE', `${R}/members/{user}/mute`, { room: 'general', user: 'bob' });
  await call('PUT', `${R}/slow_mode`, { room: 'general' }, { body: { seconds: 30 } });
  await call('PUT', `${R}/slow_mode`, { room: 'general' }, { body: { seconds: 0 } });
  await call('PUT', `${R}/members/{user}/role`, { room: 'general', user: 'bob' }, { body: { role: 'moderator' } });
  await call('DELETE', `${R}/messages/{seq}`, { room: 'general', seq: sent.seq });
  await call('POST', `${R}/members/{user}/kick`, { room: 'general', user: 'carol' });
  await call('PUT', `${R}/bans/{user}`, { room: 'general', user: 'carol' });
  await call('DELETE', `${R}/bans/{user}`, { room: 'general', user: 'carol' });
  await call('DELETE', `${R}/members/{user}`, { room: 'general', user: 'bob' });
  const U = '/api/v1/users/{user}';
  await call('POST', '/api/v1/users', {}, { body: { user: 'dana', password: 'correct horse' }, status: 201 });
  await call('POST', '/api/v1/users', {}, { body: { user: 'dana' }, status: 409 });
  await call('GET', U, { user: 'dana' });
  await call('POST', `${U}/tokens`, { user: 'dana' }, { body: { ttl_s: 60 }, status: 201 });
  await call('POST', `${U}/revoke`, { user: 'dana' }, { body: {} });
  await call('POST', `${U}/disable`, { user: 'dana' }, { body: {} });
  await call('POST', `${U}/tokens`, { user: 'dana' }, { body: {}, status: 403 });
  await call('POST', `${U}/enable`, { user: 'dana' }, { body: {} });
  await call('DELETE', U, { user: 'dana' }, { query: '?messages=erase' });
  await call('DELETE', U, { user: 'dana' }, { status: 404 });
  await call('GET', '/api/v1/rooms', {}, { query: '?limit=2' });
  await call('GET', '/api/v1/connections', {});
  await call('GET', '/api/v1/webhooks', {});
  await call('GET', '/api/v1/webhooks/deliveries', {});
  // Errors have the one shape.
  await call('GET', R, { room: 'nowhere' }, { status: 404 });
  await call('GET', '/api/v1/search', {}, { query: '?q=x', status: 400 });
  await call('DELETE', `${R}/messages/{seq}`, { room: 'general', seq: 9999 }, { status: 404 });
  // Uploads and replay take bodies of their own; every other described route was called.
  const skipped = new Set([
    'POST /api/v1/uploads',
    'GET /api/v1/uploads/{id}',
    'GET /api/v1/uploads/{id}/thumb',
    'POST /api/v1/webhooks/deliveries/replay',
  ]);
  const uncalled = [...describedRoutes()].filter((r) => !checked.has(r) && !skipped.has(r));
  assert.deepEqual(uncalled, [], 'described routes the contract test does not call');
});
