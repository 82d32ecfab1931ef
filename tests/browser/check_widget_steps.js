// Drives the storefront widget in Debian's headless Chromium through a list of sign-ups:
//   node check_widget_steps.js PAGE_URL OUT_DIR INPUT...
// On a sold-out variant's page, types each INPUT into the widget's field and submits it, then
// records what the shopper sees: the message's state, text, ARIA role and live mode, its colours,
// and whether the field is marked invalid and points at the message. Prints JSON.
"use strict";
const path = require("path");
const { chromium } = require("playwright-core");

const [pageUrl, out, ...inputs] = process.argv.slice(2);

(async () => {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  const result = { steps: [], warnings: [] };
  try {
    const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    // the sign-ups answered 4xx on purpose: Chromium logs each one as an error, a script error it is not
    const expected = /^Failed to load resource: the server responded with a status of (400|429) /;
    page.on("console", (m) => {
      if (m.type() === "error" && !expected.test(m.text())) errors.push(m.text());
      if (m.type() === "warning") result.warnings.push(m.text());
    });
    await page.goto(pageUrl);
    await page.waitForSelector(".restock-box form", { timeout: 15000 });
    const field = ".restock-box input[name=contact]";
    const msg = ".restock-box .restock-msg";
    result.placeholder = await page.getAttribute(field, "placeholder");
    result.label = await page.getAttribute(field, "aria-label");
    for (let i = 0; i < inputs.length; i++) {
      await page.evaluate((s) => document.querySelector(s).removeAttribute("data-state"), msg);
      await page.fill(field, inputs[i]);
      await page.click(".restock-box button[type=submit]");
      await page.waitForFunction((s) => document.querySelector(s).dataset.state, msg, { timeout: 15000 });
      const seen = await page.evaluate(([f, s]) => {
        const m = document.querySelector(s), inp = document.querySelector(f), cs = getComputedStyle(m);
        return { state: m.dataset.state, text: m.textContent, role: m.getAttribute("role"),
                 live: m.getAttribute("aria-live"), color: cs.color, background: cs.backgroundColor,
                 invalid: inp.getAttribute("aria-invalid") === "true",
                 described: inp.getAttribute("aria-describedby") === m.id && !!m.id };
      }, [field, msg]);
      result.steps.push(Object.assign({ input: inputs[i] }, seen));
      await page.screenshot({ path: path.join(out, `widget-step${i + 1}-${seen.state}.png`) });
    }
    result.errors = errors;
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(result) + "\n");
})().catch((e) => { console.error(e); process.exit(1); });
