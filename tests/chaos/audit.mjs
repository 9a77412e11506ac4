// Reads what the server stored, over a plain WebSocket straight to a parleyd (no proxy, no SDK):
// joins each room and pages `sync` from seq 0 to the end. Every wait has a deadline.
import WebSocket from 'ws';

export async function readStore({ url, token, rooms, timeoutMs = 15000 }) {
  const ws = new WebSocket(`${url}?token=${encodeURIComponent(token)}`, { perMessageDeflate: false });
  const waiting = new Map(); // ref -> {resolve, reject, timer}
  let welcome;
  const welcomed = new Promise((resolve, reject) => {
    welcome = { resolve, reject };
    setTimeout(() => reject(new Error('auditor: no welcome')), timeoutMs).unref();
  });
  const failAll = (err) => {
    welcome.reject(err);
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  ws.on('error', (e) => failAll(new Error(`auditor: ${e.message}`)));
  ws.on('close', (code) => failAll(new Error(`auditor: connection closed (${code})`)));
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const f = JSON.parse(data.toString());
    if (f.type === 'welcome') welcome.resolve(f);
    if (f.ref === undefined) return;
    const w = waiting.get(f.ref);
    if (!w) return;
    waiting.delete(f.ref);
    clearTimeout(w.timer);
    if (f.type === 'error') w.reject(new Error(`auditor: ${f.code}: ${f.message}`));
    else w.resolve(f);
  });
  let nextRef = 1;
  const request = (frame) =>
    new Promise((resolve, reject) => {
      const ref = nextRef++;
      const timer = setTimeout(() => {
        waiting.delete(ref);
        reject(new Error(`auditor: no reply to ${frame.type} ${frame.room} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(ref, { resolve, reject, timer });
      ws.send(JSON.stringify({ ...frame, ref }));
    });

  try {
    await welcomed;
    const out = {};
    for (const room of rooms) {
      const joined = await request({ type: 'join', room });
      const messages = [];
      let after = 0;
      for (;;) {
        const page = await request({ type: 'sync', room, after, limit: 200 });
        for (const m of page.messages) messages.push(m);
        if (page.messages.length) after = page.messages[page.messages.length - 1].seq;
        if (!page.has_more || page.messages.length === 0) break;
      }
      out[room] = { lastSeq: joined.last_seq, messages };
    }
    return out;
  } finally {
    ws.removeAllListeners('close');
    ws.on('error', () => {});
    ws.close();
  }
}
