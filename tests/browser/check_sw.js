// The web push service worker in Debian's headless Chromium:
//   node check_sw.js PAGE_URL PAYLOAD_JSON OUT_DIR
// PAGE_URL registers the worker (served by the storefront, ?restock= naming where events go);
// a push with PAYLOAD_JSON is delivered through the DevTools protocol
// (ServiceWorker.deliverPushMessage), then the notifications the worker shows are read back.
// Prints JSON: {notifications: [{title, body, icon, image, actions, tag}], errors}.
"use strict";
const { chromium } = require("playwright-core");

const [pageUrl, payload] = process.argv.slice(2);

(async () => {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  const result = {};
  try {
    const ctx = await browser.newContext();
    await ctx.grantPermissions(["notifications"], { origin: new URL(pageUrl).origin });
    const page = await ctx.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    const cdp = await ctx.newCDPSession(page);
    const regs = [];
    cdp.on("ServiceWorker.workerRegistrationUpdated", (e) => regs.push(...e.registrations));
    await cdp.send("ServiceWorker.enable");
    await page.goto(pageUrl);
    await page.waitForFunction(() => window.__swReady === true, null, { timeout: 15000 });
    const reg = regs.find((r) => !r.isDeleted);
    await cdp.send("ServiceWorker.deliverPushMessage", {
      origin: new URL(pageUrl).origin, registrationId: reg.registrationId, data: payload,
    });
    const deadline = Date.now() + 15000;
    do {
      result.notifications = await page.evaluate(async () => {
        const r = await navigator.serviceWorker.ready;
        const ns = await r.getNotifications();
        return ns.map((n) => ({ title: n.title, body: n.body, icon: n.icon, image: n.image, tag: n.tag,
          actions: n.actions.map((a) => ({ action: a.action, title: a.title })) }));
      });
    } while (!result.notifications.length && Date.now() < deadline && !(await page.waitForTimeout(100)));
    result.errors = errors;
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(result) + "\n");
})().catch((e) => { console.error(e); process.exit(1); });
