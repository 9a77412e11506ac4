// A message's text as React nodes: links made clickable (http, https and mailto only; anything
// else stays text), and the @names the server parsed as mentions styled. Never HTML: every
// piece is a text node or an element React builds.
import type { ReactNode } from 'react';

const LINK = /\b(?:https?:\/\/|mailto:)[^\s<>"]+/gi;
const MENTION = /(^|[^a-z0-9_@.])@([a-z0-9_]{1,32})\b/gi;
const SAFE = new Set(['http:', 'https:', 'mailto:']);
/** Punctuation that ends a sentence rather than a link ("see https://x.org/a."). */
const TRAILING = /[.,;:!?'’)\]]+$/;

/** The link's URL when it is one the app opens: http(s) or mailto; else null. */
export function safeUrl(raw: string): string | null {
  try {
    const u = new URL(raw);
    return SAFE.has(u.protocol) ? u.href : null;
  } catch {
    return null;
  }
}

export function RichText({ text, mentions, mentionRoom, me }: { text: string; mentions?: readonly string[]; mentionRoom?: boolean; me: string }) {
  const out: ReactNode[] = [];
  let last = 0;
  let key = 0;
  for (const match of text.matchAll(LINK)) {
    let raw = match[0];
    const trail = TRAILING.exec(raw)?.[0] ?? '';
    if (trail) raw = raw.slice(0, raw.length - trail.length);
    const href = safeUrl(raw);
    if (!href || raw.length === 0) continue;
    const at = match.index!;
    if (at > last) out.push(...withMentions(text.slice(last, at), mentions, mentionRoom, me, () => key++));
    out.push(
      <a key={`l${key++}`} href={href} target="_blank" rel="noopener noreferrer" className="link-out">
        {raw}
      </a>,
    );
    last = at + raw.length;
  }
  if (last < text.length) out.push(...withMentions(text.slice(last), mentions, mentionRoom, me, () => key++));
  return <>{out}</>;
}

/** Plain text with the parsed @names (and an @room that counted) as styled tokens. */
function withMentions(text: string, mentions: readonly string[] | undefined, room: boolean | undefined, me: string, next: () => number): ReactNode[] {
  if (!mentions?.length && !room) return [text];
  const names = new Set(mentions);
  const out: ReactNode[] = [];
  let last = 0;
  for (const m of text.matchAll(MENTION)) {
    const name = m[2]!.toLowerCase();
    const isRoom = name === 'room' && room;
    if (!isRoom && !names.has(name)) continue;
    const start = m.index! + m[1]!.length;
    if (start > last) out.push(text.slice(last, start));
    const token = `@${m[2]}`;
    out.push(
      <span key={`m${next()}`} className={`mention-token ${isRoom || name === me ? 'self' : ''}`} data-testid="mention-token">
        {token}
      </span>,
    );
    last = start + token.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}
