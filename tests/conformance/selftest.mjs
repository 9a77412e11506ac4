// The strict parser checked on its own (no server): each malformed server byte stream below
// must come out as a `violation` event, and the well-formed ones as the right events, so that a
// passing conformance case means the server's frames really were checked.
import { EventEmitter } from 'node:events';

import { CaseFailure, describe } from './expect.mjs';
import { OP, WsConn, frame } from './ws_client.mjs';

const un = (op, payload, o = {}) => frame(op, Buffer.from(payload), { ...o, mask: false });
const hexb = (h) => Buffer.from(h.replace(/\s/g, ''), 'hex');

const MALFORMED = [
  ['masked frame', frame(OP.text, Buffer.from('hi'))],
  ['RSV1 without an extension', un(OP.text, 'hi', { rsv: 4 })],
  ['RSV3', un(OP.binary, 'hi', { rsv: 1 })],
  ['reserved opcode 3', un(3, '')],
  ['reserved opcode 0xB', un(0xb, '')],
  ['16-bit length for 5 bytes', un(OP.text, 'hello', { len: 16 })],
  ['64-bit length for 200 bytes', un(OP.binary, Buffer.alloc(200), { len: 64 })],
  ['64-bit length with the top bit set', hexb('82 7f 80 00 00 00 00 00 00 01')],
  ['ping of 126 bytes', un(OP.ping, Buffer.alloc(126))],
  ['fragmented ping', un(OP.ping, 'x', { fin: false })],
  ['continuation with nothing to continue', un(OP.cont, 'x')],
  ['text frame inside a fragmented message', Buffer.concat([un(OP.text, 'a', { fin: false }), un(OP.text, 'b')])],
  ['invalid UTF-8 text', un(OP.text, hexb('cebae1bdb9cf83cebcceb5eda080'))],
  ['text split so that the message is invalid', Buffer.concat([un(OP.text, hexb('ce'), { fin: false }), un(OP.cont, hexb('41'))])],
  ['close with a 1-byte payload', un(OP.close, hexb('03'))],
  ['close code 1005', un(OP.close, hexb('03ed'))],
  ['close reason not UTF-8', un(OP.close, hexb('03e8 ff'))],
  ['data frame after the close frame', Buffer.concat([un(OP.close, hexb('03e8')), un(OP.text, 'late')])],
  ['data frame inside a data frame (a pong written into an echo)', Buffer.concat([hexb('82 05 01 02'), un(OP.pong, 'p'), hexb('03 04 05')])],
];

function feed(bytes, chunk) {
  const sock = new EventEmitter();
  sock.write = () => true;
  sock.destroy = () => {};
  const conn = new WsConn(sock, Buffer.alloc(0), { headers: {} }, null);
  for (let i = 0; i < bytes.length; i += chunk) sock.emit('data', bytes.subarray(i, i + chunk));
  sock.emit('end');
  sock.emit('close');
  return conn;
}

async function events(conn) {
  const out = [];
  for (;;) {
    const ev = await conn.next(1000);
    out.push(ev);
    if (ev.type === 'closed') return out;
  }
}

export const SELFTEST_CASES = [
  {
    id: 'S.1',
    title: `client self-test: ${MALFORMED.length} malformed server streams are each a violation (whole and byte by byte)`,
    local: true,
    run: async () => {
      for (const [what, bytes] of MALFORMED) {
        for (const chunk of [bytes.length, 1]) {
          const evs = await events(feed(bytes, chunk));
          if (!evs.some((e) => e.type === 'violation')) {
            throw new CaseFailure(`${what} (chunks of ${chunk}): not caught; events: ${evs.map(describe).join(', ')}`);
          }
        }
      }
    },
  },
  {
    id: 'S.2',
    title: 'client self-test: well-formed server streams parse to the right events',
    local: true,
    run: async () => {
      const bytes = Buffer.concat([
        un(OP.text, 'a', { fin: false }), un(OP.ping, 'p'), un(OP.cont, 'b'), un(OP.binary, Buffer.alloc(70000, 1)),
        un(OP.pong, ''), un(OP.text, Buffer.alloc(126, 0x41)), un(OP.close, hexb('03e8')),
      ]);
      for (const chunk of [bytes.length, 1, 7]) {
        const got = (await events(feed(bytes, chunk))).map((e) => (e.type === 'message' ? `${e.opcode}:${e.data.length}` : e.type));
        const want = ['ping', '1:2', '2:70000', 'pong', '1:126', 'close', 'end', 'closed'];
        if (got.join() !== want.join()) throw new CaseFailure(`chunks of ${chunk}: got ${got.join()}, expected ${want.join()}`);
      }
    },
  },
];
