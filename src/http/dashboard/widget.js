/* restock storefront widget (SPEC §8): adds "Notify me when available" to a sold-out variant.
 *
 *   <script src="https://RESTOCK/widget.js" data-shop="SHOP_ID" data-variant="4471" async></script>
 *
 * The variant is the script's data-variant, else <meta name="restock:variant" content="...">,
 * else the page URL's ?variant= (Shopify's variant links). The widget goes into the element
 * matched by data-target (a CSS selector), else into #restock-notify, else right after the script
 * tag. Web push is offered when data-sw names the service worker on the storefront's own origin
 * (a copy of, or a proxy to, RESTOCK/sw.js: browsers only register a worker of the page's own
 * origin), e.g. data-sw="/sw.js". Calls to restock are cross-origin without a preflight: GET, and
 * POST with a text/plain body holding JSON. window.restockWidget.setVariant(id) re-checks another
 * variant (for variant pickers). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var base = new URL(script.src, location.href).origin;
  var shop = script.getAttribute("data-shop");
  var swPath = script.getAttribute("data-sw");
  var box = null;

  function variantFromPage() {
    var v = script.getAttribute("data-variant");
    if (v) return v;
    var meta = document.querySelector('meta[name="restock:variant"]');
    if (meta && meta.content) return meta.content;
    return new URL(location.href).searchParams.get("variant");
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  var css =
    ".restock-box{font:inherit;border:1px solid #d0d5dd;border-radius:8px;padding:12px;margin:12px 0;max-width:420px}" +
    ".restock-box h3{margin:0 0 8px;font-size:1em}" +
    ".restock-box form{display:flex;gap:6px;flex-wrap:wrap}" +
    ".restock-box input[type=text]{flex:1;min-width:180px;padding:8px;border:1px solid #d0d5dd;border-radius:6px;font:inherit}" +
    ".restock-box button{padding:8px 12px;border:0;border-radius:6px;background:#111;color:#fff;font:inherit;cursor:pointer}" +
    ".restock-box .restock-push{background:#fff;color:#111;border:1px solid #111;margin-top:8px}" +
    ".restock-box .restock-msg{margin:8px 0 0}.restock-box .restock-hp{position:absolute;left:-9999px}";

  function mount() {
    if (box) return box;
    if (!document.getElementById("restock-style")) {
      var st = el("style");
      st.id = "restock-style";
      st.textContent = css;
      document.head.appendChild(st);
    }
    box = el("div", "restock-box");
    box.setAttribute("data-restock", "widget");
    var sel = script.getAttribute("data-target");
    var target = sel ? document.querySelector(sel) : document.getElementById("restock-notify");
    if (target) target.appendChild(box);
    else script.parentNode.insertBefore(box, script.nextSibling);
    return box;
  }

  function say(msg, text, kind) {
    msg.textContent = text;
    msg.setAttribute("data-state", kind);
  }

  function post(body) {
    return fetch(base + "/v1/subscriptions", {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().then(function (j) { return { status: r.status, json: j }; },
                           function () { return { status: r.status, json: {} }; });
    });
  }

  function answer(msg, res) {
    if (res.status === 201) say(msg, "Thanks! We will let you know when it is back.", "created");
    else if (res.status === 200) say(msg, "You are already on the list for this item.", "repeat");
    else if (res.status === 409) say(msg, "Good news: it is back in stock. Reload the page to order.", "in_stock");
    else if (res.status === 429) say(msg, "Too many tries. Please wait a moment.", "error");
    else say(msg, (res.json && res.json.error && res.json.error.message) || "Something went wrong.", "error");
  }

  function urlB64ToBytes(s) {
    var pad = "=".repeat((4 - (s.length % 4)) % 4);
    var raw = atob((s + pad).replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function pushSignup(variant, vapid, msg) {
    var sw = swPath + (swPath.indexOf("?") < 0 ? "?" : "&") + "restock=" + encodeURIComponent(base);
    navigator.serviceWorker.register(sw).then(function (reg) {
      return Notification.requestPermission().then(function (perm) {
        if (perm !== "granted") throw new Error("Notifications are blocked in this browser.");
        return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: urlB64ToBytes(vapid) });
      });
    }).then(function (sub) {
      return post({ shop: shop, variant_id: variant, channel: "webpush", push: sub.toJSON(), source: "widget" });
    }).then(function (res) { answer(msg, res); }, function (e) { say(msg, e.message, "error"); });
  }

  function render(variant, stock) {
    var b = mount();
    b.textContent = "";
    if (stock.status !== "sold_out") { b.hidden = true; return; }
    b.hidden = false;
    b.appendChild(el("h3", null, "Notify me when available"));
    var form = el("form");
    var input = el("input");
    input.type = "text";
    input.name = "contact";
    input.required = true;
    input.placeholder = "Email or mobile number";
    input.setAttribute("aria-label", "Email or mobile number");
    input.autocomplete = "email";
    var hp = el("input", "restock-hp"); /* the honeypot: people leave it empty */
    hp.type = "text";
    hp.name = "website";
    hp.tabIndex = -1;
    hp.autocomplete = "off";
    hp.setAttribute("aria-hidden", "true");
    var btn = el("button", null, "Notify me");
    btn.type = "submit";
    form.appendChild(input);
    form.appendChild(hp);
    form.appendChild(btn);
    b.appendChild(form);
    var msg = el("p", "restock-msg");
    msg.setAttribute("role", "status");
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var v = input.value.trim();
      var body = { shop: shop, variant_id: variant, source: "widget", website: hp.value };
      if (v.indexOf("@") >= 0) { body.channel = "email"; body.email = v; }
      else { body.channel = "sms"; body.phone = v; }
      btn.disabled = true;
      post(body).then(function (res) { answer(msg, res); },
                      function () { say(msg, "Could not reach the server.", "error"); })
        .then(function () { btn.disabled = false; });
    });
    if (swPath && stock.vapid_public_key && "serviceWorker" in navigator && "PushManager" in window) {
      var pb = el("button", "restock-push", "Or get a browser notification");
      pb.type = "button";
      pb.addEventListener("click", function () { pushSignup(variant, stock.vapid_public_key, msg); });
      b.appendChild(pb);
    }
    b.appendChild(msg);
  }

  function check(variant) {
    if (!shop || !variant) return;
    fetch(base + "/v1/stock/" + encodeURIComponent(shop) + "/" + encodeURIComponent(variant))
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (stock) { if (stock) render(variant, stock); }, function () {});
  }

  window.restockWidget = { setVariant: check };
  check(variantFromPage());
})();
