export { ParleyClient } from './client.js';
export { ParleyError } from './types.js';
export type {
  ParleyClientOptions,
  ParleyClientEvents,
  RoomSnapshot,
  OnlinePage,
  Pin,
  ReadsPage,
  MembersPage,
  ThreadPage,
  ThreadSnapshot,
} from './types.js';
export { Connection, browserNetworkMonitor } from './connection.js';
export type { ConnectionState, OfflineReason, NetworkMonitor, Transport, WebSocketLike, WebSocketFactory } from './connection.js';
export { SseSocket, sseSocketFactory, streamEndpoint } from './sse.js';
export type { FetchLike } from './sse.js';
export { backoffDelay } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { Outbox } from './outbox.js';
export type { OutboxEntry, PendingAction, ActionKind } from './outbox.js';
export { RoomStore } from './room.js';
export type { ChatMessage, Reaction, IngestResult } from './room.js';
export { applyEvent } from './events.js';
export { MemoryStorage, LocalStorageAdapter, IndexedDBStorage, browserStorage } from './storage.js';
export type { StorageAdapter } from './storage.js';
export { TypingSender, TypingTracker, typingText } from './typing.js';
export { register, login, changePassword, logout, deleteAccount, exportAccount, exportAccountPage, AuthError } from './http.js';
export type { Session, AccountExport, AccountExportPage, ExportedMessage, ExportOptions, DeletedMessages } from './http.js';
export type { RetryWait } from './sender.js';
export { DEFAULT_STATUS, IdleDetector } from './status.js';
export type { StatusState, UserStatus } from './status.js';
export { uuid, decodeJwt } from './util.js';
export { AttachmentError, uploadFile, downloadFile, attachmentUrl, httpBase } from './uploads.js';
export type { UploadBody, UploadOptions, UploadProgress, DownloadOptions, XhrLike, XhrFactory, HttpFetch, HttpHost } from './uploads.js';
export * from './protocol.js';
