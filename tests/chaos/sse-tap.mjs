// The HTTP fallback transport's wire, observed the way clients.mjs observes a WebSocket: a
// `fetch` for the SDK (ParleyClient's `fetch` option, which its SseSocket uses for the event
// stream and the POSTs) that passes every request on unchanged and reports
//   - every `data:` event of a `GET /api/stream` response (one server frame each: welcome,
//     acks, errors, messages …) to `frame`, as the SDK reads it (the body is passed through a
//     TransformStream that looks at each chunk before handing it on, untouched);
//   - every `message` command in the lines of a `POST /api/stream/{session}` body to `sent`,
//     before the request goes out (as the WebSocket tap counts a send() of the frame);
//   - each stream's AbortSignal to `streamOpened` (the SDK aborts it when it closes the socket);
//   - each POST's outcome (HTTP status, 0 when the request failed) to `posted`.
// The events are parsed here with a parser of its own, not the SDK's (eventsource-parser).
//
// `routePost(url)`, if given, may send a POST elsewhere (another node of a cluster, as a
// round-robin balancer in front of the nodes would): the server relays it to the session's node.
// Anything else the SDK fetches goes through as it is.

const STREAM = /\/api\/stream$/;
const POST = /\/api\/stream\/[^/]+$/;
const MESSAGE = '{"type":"message"';

export function tappedFetch({ frame, sent, streamOpened, posted, routePost = null, fetchFn = globalThis.fetch }) {
  if (typeof fetchFn !== 'function') throw new Error('sse-tap: no fetch (Node 20 or later has one)');
  return async function fetch(input, init = {}) {
    const href = typeof input === 'string' ? input : input.url;
    const url = new URL(href);
    const method = String(init.method ?? 'GET').toUpperCase();
    if (method === 'POST' && POST.test(url.pathname)) {
      if (typeof init.body === 'string')
        for (const line of init.body.split('\n')) if (line.startsWith(MESSAGE)) sent(JSON.parse(line).id);
      let res;
      try {
        res = await fetchFn(routePost ? routePost(url).href : href, init);
      } catch (e) {
        posted(0);
        throw e;
      }
      posted(res.status);
      return res;
    }
    if (method === 'GET' && STREAM.test(url.pathname)) {
      if (init.signal) streamOpened(init.signal);
      const res = await fetchFn(href, init);
      if (!res.ok || !res.body) return res; // a refusal: no frames, the SDK maps the status
      const feed = sseParser((ev) => {
        if (ev.event === 'message') frame(Buffer.from(ev.data));
      });
      const decoder = new TextDecoder();
      const body = res.body.pipeThrough(
        new TransformStream({
          transform(chunk, out) {
            feed(decoder.decode(chunk, { stream: true }));
            out.enqueue(chunk);
          },
        }),
      );
      return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    }
    return fetchFn(input, init);
  };
}

/**
 * A Server-Sent Events parser (the WHATWG "event stream interpretation": lines end in CRLF, LF
 * or CR; `data` lines join with LF; a blank line dispatches; `:` starts a comment). Returns a
 * function to feed text to; calls `onEvent({ event, data })`.
 */
export function sseParser(onEvent) {
  let buf = '';
  let data = null;
  let event = '';
  const line = (l) => {
    if (l === '') {
      if (data !== null) onEvent({ event: event || 'message', data });
      data = null;
      event = '';
      return;
    }
    if (l.startsWith(':')) return;
    const i = l.indexOf(':');
    const field = i < 0 ? l : l.slice(0, i);
    let value = i < 0 ? '' : l.slice(i + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data = data === null ? value : `${data}\n${value}`;
    else if (field === 'event') event = value;
  };
  return (text) => {
    buf += text;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(buf);
      if (!m) return;
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (m[0] === '\r' && m.index === buf.length - 1) return;
      line(buf.slice(0, m.index));
      buf = buf.slice(m.index + m[0].length);
    }
  };
}
