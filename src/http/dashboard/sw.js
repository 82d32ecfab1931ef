/* restock web push service worker (SPEC §8, §10). Serve it from the storefront's own origin (a
 * copy of, or a proxy to, RESTOCK/sw.js) and register it with ?restock=RESTOCK_ORIGIN, as
 * widget.js does. It shows the push restock sends (JSON: title, body, icon, image, link, up to two
 * buttons {title, link}, msg_hash), reports the open to RESTOCK/v1/events and, on a click of the
 * notification or one of its buttons, opens that link (the tracked /r/ link, which records the
 * click). */
"use strict";

const RESTOCK = new URL(self.location.href).searchParams.get("restock");

function restockBase(payload) {
  if (RESTOCK) return RESTOCK;
  try { /* a tracked link is RESTOCK/r/TOKEN */
    const u = new URL(payload.link);
    return u.pathname.startsWith("/r/") ? u.origin : null;
  } catch (e) { return null; }
}

function reportOpen(payload) {
  const base = restockBase(payload);
  if (!base || !payload.msg_hash) return Promise.resolve();
  return fetch(base + "/v1/events", {
    method: "POST",
    headers: { "Content-Type": "text/plain" },
    body: JSON.stringify({ msgHash: payload.msg_hash, event: "open" }),
  }).catch(() => {});
}

self.addEventListener("push", (event) => {
  let p;
  try { p = event.data ? event.data.json() : {}; } catch (e) { p = { body: event.data.text() }; }
  const buttons = Array.isArray(p.buttons) ? p.buttons.slice(0, 2) : [];
  const options = {
    body: p.body || "",
    data: p,
    tag: p.msg_hash || undefined,
    actions: buttons.map((b, i) => ({ action: "b" + i, title: b.title || "Open" })),
  };
  if (p.icon) options.icon = p.icon;
  if (p.image) options.image = p.image;
  event.waitUntil(Promise.all([
    self.registration.showNotification(p.title || "Back in stock", options),
    reportOpen(p),
  ]));
});

self.addEventListener("notificationclick", (event) => {
  const p = event.notification.data || {};
  event.notification.close();
  let link = p.link;
  const m = /^b(\d)$/.exec(event.action || "");
  if (m && p.buttons && p.buttons[+m[1]] && p.buttons[+m[1]].link) link = p.buttons[+m[1]].link;
  if (link) event.waitUntil(self.clients.openWindow(link));
});

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
