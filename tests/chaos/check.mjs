// The invariants, checked against the store as the server returns it (audit.mjs) and what each
// SDK client recorded. Pure: records in, { violations, figures } out.
//
//   stored     { room: { lastSeq, messages: [{id, seq, ts, user, text}] } }
//   clients    [{ user, rooms, sent: [{id, room, text}], acks: Map(id -> [{room, seq}]),
//                 instances: [{ emitted: { room: [{seq, id, user, text}] } }],
//                 finalView: { room: [..] }, queued, failed }]
//
// Each violation is { check, room?, user?, detail }; the run fails on any.

const MAX_LISTED = 20;

export function check({ stored, clients }) {
  const violations = [];
  const add = (v) => violations.push(v);
  const key = (user, id) => `${user}\u0000${id}`;

  // Everything the clients sent, by (user, id).
  const sentBy = new Map();
  for (const c of clients) for (const s of c.sent) sentBy.set(key(c.user, s.id), { ...s, user: c.user });

  // (b) (c) the store itself; (g) nothing in it that no client sent.
  const storedBy = new Map(); // (user, id) -> [{room, seq, text}]
  let storedCount = 0;
  for (const [room, st] of Object.entries(stored)) {
    let expect = 1;
    for (const m of st.messages) {
      storedCount++;
      if (m.seq !== expect) {
        add({ check: 'c: seqs 1..N without a gap', room, detail: `expected seq ${expect}, found ${m.seq}` });
        expect = m.seq;
      }
      expect++;
      const k = key(m.user, m.id);
      if (!storedBy.has(k)) storedBy.set(k, []);
      storedBy.get(k).push({ room, seq: m.seq, text: m.text });
      const s = sentBy.get(k);
      if (!s) add({ check: 'g: nothing stored that was not sent', room, user: m.user, detail: `seq ${m.seq} id ${m.id}` });
      else if (s.room !== room || s.text !== m.text)
        add({ check: 'g: stored as sent', room, user: m.user, detail: `seq ${m.seq} id ${m.id}: room or text differs from what was sent` });
    }
    const n = st.messages.length;
    if (st.lastSeq !== n)
      add({ check: 'c: seqs 1..N without a gap', room, detail: `join reports last_seq ${st.lastSeq}, sync returned ${n} messages` });
  }
  let duplicated = 0;
  for (const [k, list] of storedBy) {
    if (list.length > 1) {
      duplicated += list.length - 1;
      const [user, id] = k.split('\u0000');
      add({ check: 'b: no client id stored twice', user, detail: `id ${id} at ${list.map((x) => `${x.room}#${x.seq}`).join(', ')}` });
    }
  }
  // The same text under two ids would be a resend with a fresh id (texts are unique per run).
  const texts = new Map();
  for (const [room, st] of Object.entries(stored))
    for (const m of st.messages) {
      const t = `${room}\u0000${m.text}`;
      if (texts.has(t)) {
        duplicated++;
        add({ check: 'b: no message stored twice', room, user: m.user, detail: `text of seq ${texts.get(t)} again at seq ${m.seq}` });
      } else texts.set(t, m.seq);
    }

  let sent = 0, acked = 0, settledByEcho = 0, lost = 0, queued = 0, failed = 0;
  for (const c of clients) {
    // (e) nothing left unacked, nothing refused; every sent message is stored.
    queued += c.queued;
    failed += c.failed;
    if (c.queued > 0) add({ check: 'e: outbox drained', user: c.user, detail: `${c.queued} message(s) still queued` });
    if (c.failed > 0) add({ check: 'e: outbox drained', user: c.user, detail: `${c.failed} message(s) refused (failed)` });
    const order = new Map(); // room -> last stored seq of this user's messages, in send order
    for (const s of c.sent) {
      sent++;
      const at = storedBy.get(key(c.user, s.id));
      const acks = c.acks.get(s.id) ?? [];
      if (acks.length) acked++;
      else if (at) settledByEcho++;
      if (!at) {
        lost++;
        add({ check: acks.length ? 'a: acked means stored' : 'e: every sent message stored', room: s.room, user: c.user, detail: `id ${s.id} (${acks.length} ack(s)) not in the store` });
        continue;
      }
      // (a) every ack names the seq the message is stored at.
      for (const a of acks)
        if (a.room !== at[0].room || a.seq !== at[0].seq)
          add({ check: 'a: acked means stored', room: s.room, user: c.user, detail: `id ${s.id} acked as ${a.room}#${a.seq}, stored at ${at[0].room}#${at[0].seq}` });
      // (f) one sender's messages in a room are stored in the order they were sent.
      const prev = order.get(s.room) ?? 0;
      if (at[0].seq < prev)
        add({ check: 'f: a sender\'s messages in send order', room: s.room, user: c.user, detail: `id ${s.id} stored at #${at[0].seq}, after an earlier message at #${prev}` });
      order.set(s.room, Math.max(prev, at[0].seq));
    }

    // (d) what the client shows and what it told the app, room by room.
    for (const room of c.rooms) {
      const truth = stored[room]?.messages ?? [];
      const view = c.finalView[room];
      if (!view) {
        add({ check: 'd: final view equals the store', room, user: c.user, detail: 'no final view (resync did not finish)' });
      } else {
        const diff = firstDifference(view, truth);
        if (diff) add({ check: 'd: final view equals the store', room, user: c.user, detail: diff });
      }
      // Each SDK instance (a reload builds a new one) emits a message at most once; over all
      // instances, every message was emitted.
      const seen = new Set();
      c.instances.forEach((inst, n) => {
        const once = new Set();
        for (const m of inst.emitted[room] ?? []) {
          const t = truth[m.seq - 1];
          if (once.has(m.seq)) {
            add({ check: 'd: each message emitted once', room, user: c.user, detail: `seq ${m.seq} emitted twice by instance ${n + 1}` });
            continue;
          }
          once.add(m.seq);
          seen.add(m.seq);
          if (!t || t.id !== m.id || t.user !== m.user || t.text !== m.text)
            add({ check: 'd: emitted as stored', room, user: c.user, detail: `seq ${m.seq} emitted as ${m.user}/${m.id}, stored as ${t ? `${t.user}/${t.id}` : 'nothing'}` });
        }
      });
      const missing = [];
      for (const t of truth) if (!seen.has(t.seq)) missing.push(t.seq);
      if (missing.length)
        add({ check: 'd: every message emitted', room, user: c.user, detail: `${missing.length} never emitted: ${listSeqs(missing)}` });
    }
  }

  return {
    violations,
    figures: { sent, stored: storedCount, acked, settledByEcho, lost, duplicated, queued, failed },
  };
}

function firstDifference(view, truth) {
  const n = Math.max(view.length, truth.length);
  for (let i = 0; i < n; i++) {
    const v = view[i], t = truth[i];
    if (!v) return `ends at seq ${view.length ? view[view.length - 1].seq : 0}; the store has ${truth.length}`;
    if (!t) return `has ${view.length} messages; the store has ${truth.length}`;
    if (v.seq !== t.seq || v.id !== t.id || v.user !== t.user || v.text !== t.text)
      return `position ${i + 1}: view has ${v.user}/${v.id}#${v.seq}, store has ${t.user}/${t.id}#${t.seq}`;
  }
  return null;
}

function listSeqs(seqs) {
  const s = seqs.slice(0, MAX_LISTED).join(', ');
  return seqs.length > MAX_LISTED ? `${s}, …` : s;
}
