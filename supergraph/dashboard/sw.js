// The dashboard's service worker: shows what the request service pushes (Web
// Push, decrypted by the browser) as a notification, even with no screen open,
// and opens the board when it is clicked.
self.addEventListener('push', (event) => {
  let notice;
  try {
    notice = event.data.json();
  } catch {
    notice = { title: 'Asky', body: event.data?.text() ?? '' };
  }
  event.waitUntil(
    self.registration.showNotification(notice.title ?? 'Asky', {
      body: notice.body ?? '',
      tag: notice.requestId ? `request-${notice.requestId}` : undefined,
      data: { requestId: notice.requestId ?? null },
      requireInteraction: notice.priority === 'STAT',
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(
    self.clients.matchAll({ type: 'window' }).then((open) => (open[0] ? open[0].focus() : self.clients.openWindow(self.registration.scope))),
  );
});
