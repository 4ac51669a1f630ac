// NTS-Mekong Watch report page, offline: the page itself is kept so that it opens without a connection; reports
// are never cached here (the page keeps unsent ones in IndexedDB and deletes each once the gateway has it).
const CACHE = "nts-report-v1";
const SHELL = ["/report", "/static/report.js", "/static/icon.svg"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin) return;
  const shell = url.pathname === "/report" ? "/report" : SHELL.includes(url.pathname) ? url.pathname : null;
  if (!shell) return;
  // Network first (a fresh form token and texts), the kept copy when there is no connection.
  event.respondWith(fetch(event.request).then((resp) => {
    if (resp.ok && shell !== "/report") caches.open(CACHE).then((c) => c.put(shell, resp.clone()));
    return resp;
  }).catch(() => caches.match(shell)));
});
