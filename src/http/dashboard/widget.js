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
 * variant (for variant pickers).
 *
 * The field asks for what the server takes (the stock answer's `channels`): an email, a mobile
 * number only when the server has an SMS provider. The shopper reads only the words of TEXTS:
 * a sign-up's answer is told by its status (`pending` under double opt-in: "check your inbox"),
 * an error by its kind or the field it names — never the API's own message, which goes to the
 * console for the shop's developers. An error is shown with role="alert" and styled apart. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var base = new URL(script.src, location.href).origin;
  var shop = script.getAttribute("data-shop");
  var swPath = script.getAttribute("data-sw");
  var box = null;

  /* Every word the shopper reads. */
  var TEXTS = {
    heading: "Notify me when available",
    field_any: "Email or mobile number",
    field_email: "Email address",
    field_sms: "Mobile number",
    submit: "Notify me",
    push: "Or get a browser notification",
    created: "Thanks! We will let you know when it is back.",
    repeat: "You are already on the list for this item.",
    pending_email: "Almost done: check your inbox to confirm.",
    pending_sms: "Almost done: check your phone to confirm.",
    pending_webpush: "Almost done: confirm in the notification we just sent.",
    in_stock: "Good news: it is back in stock. Reload the page to order.",
    bad_any: "Enter your email, or a mobile number with country code, like +45 20 12 34 56.",
    bad_email: "Enter your email address, like name@example.com.",
    bad_sms: "Enter your mobile number with country code, like +45 20 12 34 56.",
    no_sms: "Text messages are not available here. Enter your email address instead.",
    push_failed: "Browser notifications could not be set up here.",
    push_blocked: "Notifications are blocked in this browser.",
    rate: "Too many tries, please wait a moment.",
    offline: "Could not reach the server. Please try again.",
    generic: "Something went wrong. Please try again later.",
  };

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
    ".restock-box .restock-msg{margin:8px 0 0}" +
    ".restock-box .restock-msg[data-state=created],.restock-box .restock-msg[data-state=repeat]," +
    ".restock-box .restock-msg[data-state=in_stock]{color:#067647}" +
    ".restock-box .restock-msg[data-state=pending]{color:#1849a9}" +
    ".restock-box .restock-msg[data-state=error]{color:#b42318;background:#fef3f2;" +
    "border:1px solid #fda29b;border-left-width:4px;border-radius:6px;padding:8px}" +
    ".restock-box input[aria-invalid=true]{border-color:#b42318;outline-color:#b42318}" +
    ".restock-box .restock-hp{position:absolute;left:-9999px}";

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

  /* Shows text in msg. An error is an alert (read out at once); `blame` marks the field as what
   * was wrong (aria-invalid), which any other message clears. */
  function say(msg, text, kind, blame) {
    var input = msg.restockInput;
    msg.textContent = text;
    msg.setAttribute("data-state", kind);
    msg.setAttribute("role", kind === "error" ? "alert" : "status");
    msg.setAttribute("aria-live", kind === "error" ? "assertive" : "polite");
    if (input) {
      if (blame) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
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

  /* The field a 400 names: its message starts "field: ..." (SPEC §4), "push.keys.auth: ..." is push. */
  function badField(res) {
    var e = res.json && res.json.error;
    if (res.status !== 400 || !e || typeof e.message !== "string") return null;
    return e.message.split(/[:.]/)[0];
  }

  /* The shopper's words for a sign-up's answer; offer is what the field asks for. */
  function answer(msg, res, channel, offer) {
    var status = res.json && res.json.status;
    if ((res.status === 201 || res.status === 200) && status === "pending")
      return say(msg, TEXTS["pending_" + channel] || TEXTS.pending_email, "pending");
    if (res.status === 201) return say(msg, TEXTS.created, "created");
    if (res.status === 200) return say(msg, TEXTS.repeat, "repeat");
    if (res.status === 409) return say(msg, TEXTS.in_stock, "in_stock");
    var e = res.json && res.json.error;
    if (window.console) console.warn("restock: sign-up answered " + res.status + (e ? ": " + e.message : ""));
    var field = badField(res);
    if (field === "email" || field === "phone")
      return say(msg, offer.email && offer.sms ? TEXTS.bad_any : offer.sms ? TEXTS.bad_sms : TEXTS.bad_email,
                 "error", true);
    if (field === "channel" && channel === "sms") return say(msg, TEXTS.no_sms, "error", true);
    say(msg, res.status === 429 ? TEXTS.rate : field === "push" ? TEXTS.push_failed : TEXTS.generic, "error");
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
        if (perm !== "granted") throw new Error(TEXTS.push_blocked);
        return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: urlB64ToBytes(vapid) });
      });
    }).then(function (sub) {
      return post({ shop: shop, variant_id: variant, channel: "webpush", push: sub.toJSON(), source: "widget" });
    }).then(function (res) { answer(msg, res, "webpush", {}); }, function (e) {
      if (window.console) console.warn("restock: web push sign-up failed: " + e.message);
      say(msg, e.message === TEXTS.push_blocked ? e.message : TEXTS.push_failed, "error");
    });
  }

  /* What the server takes sign-ups on; a server that does not say takes all three. */
  function offered(stock) {
    var ch = Array.isArray(stock.channels) ? stock.channels : ["email", "sms", "webpush"];
    return { email: ch.indexOf("email") >= 0, sms: ch.indexOf("sms") >= 0, webpush: ch.indexOf("webpush") >= 0 };
  }

  function contactForm(variant, offer, msg) {
    var form = el("form");
    var input = el("input");
    var label = offer.email && offer.sms ? TEXTS.field_any : offer.sms ? TEXTS.field_sms : TEXTS.field_email;
    input.type = "text";
    input.name = "contact";
    input.required = true;
    input.placeholder = label;
    input.setAttribute("aria-label", label);
    input.setAttribute("aria-describedby", msg.id);
    input.autocomplete = offer.email ? "email" : "tel";
    input.inputMode = offer.email && offer.sms ? "text" : offer.email ? "email" : "tel";
    msg.restockInput = input;
    var hp = el("input", "restock-hp"); /* the honeypot: people leave it empty */
    hp.type = "text";
    hp.name = "website";
    hp.tabIndex = -1;
    hp.autocomplete = "off";
    hp.setAttribute("aria-hidden", "true");
    var btn = el("button", null, TEXTS.submit);
    btn.type = "submit";
    form.appendChild(input);
    form.appendChild(hp);
    form.appendChild(btn);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var v = input.value.trim();
      var body = { shop: shop, variant_id: variant, source: "widget", website: hp.value };
      var channel = offer.email && (!offer.sms || v.indexOf("@") >= 0) ? "email" : "sms";
      body.channel = channel;
      if (channel === "email") body.email = v;
      else body.phone = v;
      btn.disabled = true;
      post(body).then(function (res) { answer(msg, res, channel, offer); },
                      function () { say(msg, TEXTS.offline, "error"); })
        .then(function () { btn.disabled = false; });
    });
    return form;
  }

  var msgSeq = 0;

  function render(variant, stock) {
    var b = mount();
    var offer = offered(stock);
    var push = offer.webpush && swPath && stock.vapid_public_key && "serviceWorker" in navigator &&
               "PushManager" in window;
    b.textContent = "";
    if (stock.status !== "sold_out" || !(offer.email || offer.sms || push)) { b.hidden = true; return; }
    b.hidden = false;
    b.appendChild(el("h3", null, TEXTS.heading));
    var msg = el("p", "restock-msg");
    msg.id = "restock-msg-" + ++msgSeq + "-" + Math.random().toString(36).slice(2, 8);
    msg.setAttribute("role", "status");
    msg.setAttribute("aria-live", "polite");
    if (offer.email || offer.sms) b.appendChild(contactForm(variant, offer, msg));
    if (push) {
      var pb = el("button", "restock-push", TEXTS.push);
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
