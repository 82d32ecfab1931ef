'use strict';
/*
 * pushsvc — a web push service stand-in for restock's tests (RFC 8030 on plain HTTP, loopback).
 *
 * It plays the browser's push service: it decrypts each message as the user agent would, with an
 * implementation nobody on the project wrote (the http_ece package, RFC 8188 / RFC 8291), and
 * checks the VAPID token (RFC 8292) with node's own crypto. Everything it saw is kept in memory
 * and can be read back, and it can be told to answer a given status for a subscription.
 *
 *   node server.js [--port N] [--host 127.0.0.1] [--until-stdin-closes]
 *
 * Prints "listening PORT" on stdout once ready (--port 0, the default, picks a free port). With
 * --until-stdin-closes it exits when its standard input ends, so a test that dies cannot leave it
 * running. API (JSON in and out):
 *
 *   POST   /register  {"id", "private_key", "auth", "vapid_public"?}   201
 *          the subscription's user agent key pair (private scalar, base64url) and auth secret;
 *          with vapid_public the subscription is restricted to that application server key
 *   POST   /push/ID   a push message (aes128gcm body)                   201, or as described below
 *   GET    /messages  every push message received, oldest first
 *   DELETE /messages  forgets them                                       204
 *   POST   /respond   {"id", "status", "headers"?, "body"?, "times"?}    204
 *          answer `status` (with those headers and body) to the next `times` messages for ID
 *          (every one when times is absent); status 0 or null removes the script
 *
 * A push message is answered, unless a script says otherwise: 404 for an unknown ID, 400 when it
 * cannot be decrypted or its TTL, Urgency, Topic or Content-Encoding header is wrong, 401 without
 * VAPID, 403 with an invalid VAPID token, else 201. Each one is recorded as
 *   {seq, id, status, ttl, urgency, topic, content_encoding, content_type, length,
 *    payload (UTF-8 text or null), payload_b64, errors: [..],
 *    vapid: {ok, error, claims, k}}
 */
const crypto = require('crypto');
const http = require('http');
const ece = require('http_ece');

const BODY_MAX = 8192;
const URGENCIES = ['very-low', 'low', 'normal', 'high'];

const subscriptions = new Map(); /* id -> {ecdh, auth, vapidPublic} */
const scripts = new Map();       /* id -> {status, headers, body, times} */
let messages = [];
let seq = 0;

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

function b64url(s, len) {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*={0,2}$/.test(s)) return null;
  const b = Buffer.from(s, 'base64url');
  return len === undefined || b.length === len ? b : null;
}

function send(res, status, obj, headers) {
  const body = obj === undefined ? '' : JSON.stringify(obj);
  res.writeHead(status, Object.assign(
      body ? {'Content-Type': 'application/json'} : {}, headers || {}));
  res.end(body);
}

/* RFC 8292 §3: Authorization: vapid t=JWT, k=KEY. Returns {ok, error, claims, k}. */
function checkVapid(req) {
  const out = {ok: false, error: null, claims: null, k: null};
  const h = req.headers['authorization'];
  if (!h) return Object.assign(out, {error: 'no Authorization header', absent: true});
  const m = /^vapid\s+(.*)$/i.exec(h);
  if (!m) return Object.assign(out, {error: 'not the vapid scheme'});
  const params = {};
  for (const part of m[1].split(',')) {
    const kv = /^\s*([a-z]+)\s*=\s*"?([^"]*)"?\s*$/i.exec(part);
    if (!kv) return Object.assign(out, {error: 'malformed parameter: ' + part});
    params[kv[1].toLowerCase()] = kv[2];
  }
  out.k = params.k || null;
  if (!params.t || !params.k) return Object.assign(out, {error: 't or k missing'});
  const parts = params.t.split('.');
  if (parts.length !== 3) return Object.assign(out, {error: 'JWT without three parts'});
  let header;
  try {
    header = JSON.parse(b64url(parts[0]).toString('utf8'));
    out.claims = JSON.parse(b64url(parts[1]).toString('utf8'));
  } catch (e) {
    return Object.assign(out, {error: 'JWT part not base64url JSON'});
  }
  if (header.typ !== 'JWT' || header.alg !== 'ES256')
    return Object.assign(out, {error: 'JWT header ' + JSON.stringify(header)});
  const k = b64url(params.k, 65);
  if (!k || k[0] !== 4) return Object.assign(out, {error: 'k is not an uncompressed P-256 point'});
  let key;
  try {
    key = crypto.createPublicKey({
      key: {kty: 'EC', crv: 'P-256', x: k.subarray(1, 33).toString('base64url'),
            y: k.subarray(33).toString('base64url')},
      format: 'jwk'});
  } catch (e) {
    return Object.assign(out, {error: 'k is not a P-256 point'});
  }
  const sig = b64url(parts[2], 64);
  if (!sig) return Object.assign(out, {error: 'signature is not 64 bytes'});
  const signed = Buffer.from(parts[0] + '.' + parts[1], 'ascii');
  if (!crypto.verify('sha256', signed, {key, dsaEncoding: 'ieee-p1363'}, sig))
    return Object.assign(out, {error: 'bad signature (not made with k)'});
  const c = out.claims;
  const origin = 'http://' + String(req.headers.host || '').toLowerCase();
  const now = Math.floor(Date.now() / 1000);
  if (c.aud !== origin) return Object.assign(out, {error: `aud ${c.aud} is not ${origin}`});
  if (!Number.isInteger(c.exp) || c.exp <= now) return Object.assign(out, {error: 'expired'});
  if (c.exp > now + 86400 + 60) return Object.assign(out, {error: 'exp more than 24 h ahead'});
  if (typeof c.sub !== 'string' || !/^(mailto:|https:)/.test(c.sub))
    return Object.assign(out, {error: 'sub is not a mailto: or https: URL'});
  out.ok = true;
  return out;
}

function checkHeaders(req, errors) {
  const ttl = req.headers['ttl'];
  if (ttl === undefined || !/^[0-9]+$/.test(ttl)) errors.push('TTL missing or not a number');
  const u = req.headers['urgency'];
  if (u !== undefined && !URGENCIES.includes(u)) errors.push('bad Urgency ' + u);
  const t = req.headers['topic'];
  if (t !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(t)) errors.push('bad Topic ' + t);
  if (req.headers['content-encoding'] !== 'aes128gcm')
    errors.push('Content-Encoding is not aes128gcm');
}

function push(req, res, id, body) {
  const sub = subscriptions.get(id);
  const errors = [];
  const vapid = checkVapid(req);
  checkHeaders(req, errors);
  const msg = {
    seq: ++seq, id, status: 0,
    ttl: req.headers['ttl'] === undefined ? null : Number(req.headers['ttl']),
    urgency: req.headers['urgency'] || null,
    topic: req.headers['topic'] || null,
    content_encoding: req.headers['content-encoding'] || null,
    content_type: req.headers['content-type'] || null,
    length: body.length, payload: null, payload_b64: null, errors,
    vapid: {ok: vapid.ok, error: vapid.error, claims: vapid.claims, k: vapid.k},
  };
  if (!sub) {
    errors.push('unknown subscription');
  } else {
    if (vapid.ok && sub.vapidPublic && vapid.k !== sub.vapidPublic) {
      msg.vapid.ok = false;
      msg.vapid.error = 'k is not the key this subscription is restricted to';
    }
    try {
      const plain = ece.decrypt(body, {version: 'aes128gcm', privateKey: sub.ecdh,
                                       authSecret: sub.auth});
      msg.payload_b64 = plain.toString('base64url');
      msg.payload = new TextDecoder('utf-8', {fatal: true}).decode(plain);
    } catch (e) {
      if (msg.payload_b64 === null) errors.push('decryption failed: ' + e.message);
      else errors.push('payload is not UTF-8');
    }
  }

  let status = 201, headers = {Location: '/message/' + msg.seq}, text;
  const script = scripts.get(id);
  if (script) {
    status = script.status;
    headers = script.headers || {};
    text = script.body;
    if (script.times !== undefined && --script.times <= 0) scripts.delete(id);
  } else if (!sub) {
    status = 404;
  } else if (errors.length) {
    status = 400;
  } else if (!msg.vapid.ok) {
    status = vapid.absent ? 401 : 403;
  }
  msg.status = status;
  messages.push(msg);
  res.writeHead(status, headers);
  res.end(text !== undefined ? String(text) : (status >= 400 ? errors.concat(
      msg.vapid.ok ? [] : [msg.vapid.error]).join('; ') : ''));
}

function register(res, o) {
  if (!o || typeof o.id !== 'string' || !o.id) return send(res, 400, {error: 'id'});
  const priv = b64url(o.private_key, 32), auth = b64url(o.auth, 16);
  if (!priv || !auth) return send(res, 400, {error: 'private_key (32) and auth (16) base64url'});
  const ecdh = crypto.createECDH('prime256v1');
  try {
    ecdh.setPrivateKey(priv);
  } catch (e) {
    return send(res, 400, {error: 'bad private key'});
  }
  if (o.vapid_public !== undefined && !b64url(o.vapid_public, 65))
    return send(res, 400, {error: 'vapid_public'});
  subscriptions.set(o.id, {ecdh, auth, vapidPublic: o.vapid_public || null});
  send(res, 201, {id: o.id, p256dh: ecdh.getPublicKey().toString('base64url')});
}

function respond(res, o) {
  if (!o || typeof o.id !== 'string') return send(res, 400, {error: 'id'});
  if (!o.status) {
    scripts.delete(o.id);
  } else {
    if (!Number.isInteger(o.status) || o.status < 200 || o.status > 599)
      return send(res, 400, {error: 'status'});
    scripts.set(o.id, {status: o.status, headers: o.headers || {}, body: o.body,
                       times: o.times});
  }
  send(res, 204);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  let size = 0, over = false;
  req.on('data', (c) => {
    size += c.length;
    if (size > BODY_MAX) over = true;
    else chunks.push(c);
  });
  req.on('end', () => {
    const url = new URL(req.url, 'http://x');
    const body = Buffer.concat(chunks);
    const json = () => {
      try {
        return JSON.parse(body.toString('utf8'));
      } catch (e) {
        return null;
      }
    };
    const m = /^\/push\/([^/]+)$/.exec(url.pathname);
    if (m && req.method === 'POST') {
      if (over) return send(res, 413, {error: 'payload too large'});
      return push(req, res, decodeURIComponent(m[1]), body);
    }
    if (url.pathname === '/register' && req.method === 'POST') return register(res, json());
    if (url.pathname === '/respond' && req.method === 'POST') return respond(res, json());
    if (url.pathname === '/messages' && req.method === 'GET') return send(res, 200, messages);
    if (url.pathname === '/messages' && req.method === 'DELETE') {
      messages = [];
      return send(res, 204);
    }
    send(res, 404, {error: 'no such route'});
  });
});

server.listen(Number(arg('--port', '0')), arg('--host', '127.0.0.1'), () => {
  process.stdout.write('listening ' + server.address().port + '\n');
});
if (process.argv.includes('--until-stdin-closes')) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
