// Drives the storefront widget in Debian's headless Chromium:
//   node check_widget.js PAGE_URL IN_STOCK_PAGE_URL EMAIL OUT_DIR
// On a sold-out variant's page: the widget appears, signs EMAIL up, then signs it up again and
// shows the repeat message. On an in-stock variant's page it shows nothing. Prints JSON.
"use strict";
const path = require("path");
const { chromium } = require("playwright-core");

const [pageUrl, inStockUrl, email, out] = process.argv.slice(2);

(async () => {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  const result = { requests: [] };
  try {
    const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("request", (r) => result.requests.push({ method: r.method(), url: r.url() }));
    await page.goto(pageUrl);
    await page.waitForSelector(".restock-box form", { timeout: 15000 });
    result.heading = await page.textContent(".restock-box h3");
    await page.screenshot({ path: path.join(out, "widget-form.png") });
    const msg = ".restock-box .restock-msg";
    await page.fill(".restock-box input[name=contact]", email);
    await page.click(".restock-box button[type=submit]");
    await page.waitForFunction((s) => document.querySelector(s).dataset.state, msg, { timeout: 15000 });
    result.first = { state: await page.getAttribute(msg, "data-state"), text: await page.textContent(msg) };
    await page.screenshot({ path: path.join(out, "widget-created.png") });
    await page.evaluate((s) => document.querySelector(s).removeAttribute("data-state"), msg);
    await page.click(".restock-box button[type=submit]");
    await page.waitForFunction((s) => document.querySelector(s).dataset.state, msg, { timeout: 15000 });
    result.second = { state: await page.getAttribute(msg, "data-state"), text: await page.textContent(msg) };
    await page.screenshot({ path: path.join(out, "widget-repeat.png") });

    const other = await browser.newPage();
    await other.goto(inStockUrl);
    await other.waitForFunction(() => performance.getEntriesByType("resource")
      .some((e) => e.name.includes("/v1/stock/")), null, { timeout: 15000 });
    await other.waitForTimeout(300);
    result.in_stock_box_visible = await other.isVisible(".restock-box");
    result.errors = errors;
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(result) + "\n");
})().catch((e) => { console.error(e); process.exit(1); });
