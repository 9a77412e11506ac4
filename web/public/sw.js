// parley's service worker: shows the notification of a Web Push the server sent while this
// user had no open connection (a direct message or a mention), and opens its room on click.
self.addEventListener('push', (event) => {
  let note = {};
  try {
    note = event.data ? event.data.json() : {};
  } catch {
    note = {};
  }
  const title = note.direct ? note.from : `${note.from} in #${note.room}`;
  event.waitUntil(
    self.registration.showNotification(note.from ? title : 'parley', {
      body: note.text || 'New message',
      tag: `${note.room}:${note.seq}`,
      data: { room: note.room },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const room = (event.notification.data && event.notification.data.room) || '';
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      for (const w of windows) {
        if ('focus' in w) {
          w.postMessage({ type: 'open-room', room });
          return w.focus();
        }
      }
      return self.clients.openWindow(room ? `/#/${encodeURIComponent(room)}` : '/');
    }),
  );
});
