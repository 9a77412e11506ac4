// Threads from the room's store. The SDK's ChatMessage does not carry the message it replies
// to yet; the field is read as the SDK would name it (`replyTo`, like `editedTs`) or as the
// wire does (`reply_to`), so threads fill in once the server sends it and the SDK keeps it.
import type { ChatMessage } from '@parley/client';

/** A ChatMessage that may tell the seq of the message it replies to. */
export type ReplyMessage = ChatMessage & { replyTo?: number; reply_to?: number };

export interface Thread {
  /** The message replied to, while it is held. */
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
