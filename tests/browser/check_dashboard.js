// Drives the dashboard in Debian's headless Chromium and prints what a person would see, as JSON,
// for tests/e2e/test_browser.py to check against the API:
//   node check_dashboard.js BASE_URL API_KEY OUT_DIR [BROWSER_TIMEZONE]
// Signs in, waits for every panel, reads the KPIs, the chart's data and whether its canvas has
// pixels drawn, the tables; switches the first campaign; downloads the customers CSV to OUT_DIR;
// checks the customers table fits a desktop screen and what a refused date range shows;
// saves desktop and phone screenshots in OUT_DIR.
"use strict";
const path = require("path");
const { chromium } = require("playwright-core");

const [base, key, out, timezoneId] = process.argv.slice(2);

async function read(page) {
  return page.evaluate(() => {
    const kpi = (id) => document.getElementById(id).dataset.value ?? null;
    const rows = (id) => [...document.querySelectorAll(`#${id} tbody tr`)]
      .map((tr) => [...tr.cells].map((td) => td.textContent.trim()));
    const c = document.getElementById("chart");
    let painted = 0;
    if (c.width && c.height) {
      const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < px.length; i += 4) if (px[i]) painted++;
    }
    return {
      stats: document.body.dataset.stats, loaded: document.body.dataset.loaded,
      note: document.getElementById("stats-note").hidden ? null : document.getElementById("stats-note").textContent,
      kpis: { sent: kpi("k-sent"), open_rate: kpi("k-open"), opened: kpi("k-opened"), click_rate: kpi("k-click"),
              clicked: kpi("k-clicked"), conversion_rate: kpi("k-conv"), conversions: kpi("k-conversions"),
              gross: kpi("k-gross"), net: kpi("k-net") },
      chart: { drawn: c.dataset.drawn, painted, direct: c.dataset.direct, assisted: c.dataset.assisted,
               labels: window.__chartLabels || null },
      events: rows("events"), campaigns: rows("campaigns"), demand: rows("demand"), customers: rows("customers"),
      campaign_ids: [...document.querySelectorAll("#campaigns tbody button")].map((b) => b.dataset.id),
      shop: document.getElementById("shop-name").textContent,
    };
  });
}

(async () => {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  const result = {};
  try {
    const ctx = await browser.newContext({ acceptDownloads: true, viewport: { width: 1200, height: 900 }, timezoneId });
    const page = await ctx.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(base + "/dashboard");
    result.signin_visible = await page.isVisible("#signin");
    await page.screenshot({ path: path.join(out, "dashboard-signin.png") });
    // a wrong key is refused and keeps the sign-in form
    await page.fill("#api-key", "rk_wrong");
    await page.click("#signin-form button");
    await page.waitForFunction(() => document.getElementById("signin-error").textContent.length > 0);
    result.wrong_key_error = await page.textContent("#signin-error");
    await page.fill("#api-key", key);
    await page.click("#signin-form button");
    await page.waitForFunction(() => document.body.dataset.loaded, null, { timeout: 20000 });
    result.key_in_session = await page.evaluate(() => sessionStorage.getItem("restock_api_key") !== null);
    result.cookies = (await ctx.cookies()).length;
    result.range = { from: await page.inputValue("#from"), to: await page.inputValue("#to") };
    result.before = await read(page);
    await page.screenshot({ path: path.join(out, "dashboard.png"), fullPage: true });

    // switch the first campaign and wait for the table to show the new status
    const id = result.before.campaign_ids[0];
    const next = await page.getAttribute(`#campaigns button[data-id="${id}"]`, "data-next");
    await page.click(`#campaigns button[data-id="${id}"]`);
    await page.waitForFunction(([i, s]) => {
      const tr = document.querySelector(`#campaigns tr[data-id="${i}"]`);
      return tr && tr.cells[2].textContent.trim() === s;
    }, [id, next], { timeout: 10000 });
    result.switched = { id, to: next };

    // the CSV download
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#csv")]);
    result.csv_name = download.suggestedFilename();
    await download.saveAs(path.join(out, "customers.csv"));

    // on a desktop screen the customers table fits its card: no column cut off
    await page.setViewportSize({ width: 1400, height: 900 });
    result.customers_fit = await page.evaluate(() => {
      const box = document.getElementById("customers").parentElement;
      return box.scrollWidth <= box.clientWidth;
    });

    // a refused range (to before from) shows why, and no rows of the range before
    await page.evaluate(() => { delete document.body.dataset.loaded; });
    await page.fill("#from", result.range.to);
    await page.fill("#to", result.range.from);
    await page.click("#range button");
    await page.waitForFunction(() => document.body.dataset.loaded, null, { timeout: 20000 });
    result.bad_range = await read(page);

    // a reload keeps the session (sessionStorage), the phone layout reads in one column
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.loaded, null, { timeout: 20000 });
    result.phone_overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    await page.screenshot({ path: path.join(out, "dashboard-phone.png"), fullPage: true });
    result.errors = errors;
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(result) + "\n");
})().catch((e) => { console.error(e); process.exit(1); });
