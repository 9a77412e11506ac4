// Threads picked out of a room's messages: a message and the held messages whose `replyTo` is
// its seq. useThread uses it until the SDK's thread view of the thread is open.
import type { ChatMessage } from '@parley/client';

/** A ChatMessage that may tell the seq of the message it replies to (`reply_to`: the wire's name). */
export type ReplyMessage = ChatMessage & { reply_to?: number };

export interface Thread {
  /** The thread's first message, while it is held. */
  message: ChatMessage | undefined;
  /** Its replies, in the room's order. */
  replies: readonly ChatMessage[];
}

/** The seq of the message `m` replies to, if it is a reply. */
export function replyTo(m: ChatMessage): number | undefined {
  const r = m as ReplyMessage;
  return r.replyTo ?? r.reply_to;
}

/** Message `seq` among `messages` (a room's, in order) and the messages replying to it. */
export function threadOf(messages: readonly ChatMessage[], seq: number): Thread {
  return {
    message: messages.find((m) => m.seq === seq),
    replies: messages.filter((m) => replyTo(m) === seq),
  };
}
