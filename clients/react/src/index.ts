export { ParleyProvider, useParley } from './provider.js';
export type { ParleyProviderProps } from './provider.js';
export {
  useConnection,
  useRoom,
  useRooms,
  useMessages,
  useThread,
  useTyping,
  usePresence,
  useUnread,
  usePins,
  useReads,
  useStatus,
  useMembers,
  useParleyEvent,
} from './hooks.js';
export type {
  ConnectionInfo,
  RoomState,
  MessagesState,
  ThreadState,
  TypingState,
  PresenceState,
  UnreadCounts,
  ReadsState,
  MembersState,
  MemberInfo,
} from './hooks.js';
export { useSlowMode } from './slowmode.js';
export type { SlowModeState, SendWait } from './slowmode.js';
export { useUploads } from './uploads.js';
export type { UploadItem, UploadsState } from './uploads.js';
export { threadOf, replyTo } from './thread.js';
export type { Thread, ReplyMessage } from './thread.js';
export { useClientValue } from './store.js';
export { share } from './share.js';
