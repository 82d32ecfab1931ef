/* Unit tests for deliver/webpush: the RFC 8291 §5 example byte for byte, refused keys and sizes,
 * the VAPID header (its ES256 signature checked here with OpenSSL against the public key), and
 * real sends to the push service stand-in (tests/e2e/pushsvc/server.js, node), which decrypts with
 * the http_ece package and checks VAPID with node's crypto, then answers scripted statuses. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "deliver/webpush.h"
#include "test.h"
#include "util/crypto.h"

extern char **environ;

/* RFC 8291 §5: "When I grow up, I want to be a watermelon", encrypted with these keys. */
static const char rfc_plaintext[] = "When I grow up, I want to be a watermelon";
static const char rfc_as_private[] = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
static const char rfc_as_public[] =
    "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS"
    "6TlzAC8wEqKK6PBru3jl7A8";
static const char rfc_ua_public[] = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bj"
                                    "yPjs7Vd8pZGH6SRpkNtoIAiw4";
static const char rfc_salt[] = "DGv6ra1nlYgDCS1FRnbzlw";
static const char rfc_auth[] = "BTBZMqHH6r4Tts7J_aSIgg";
static const char rfc_body[] = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27ml"
                               "mlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPT"
                               "pK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

static long unb64(const char *s, uint8_t *out, size_t cap)
{
    return base64url_decode(s, strlen(s), out, cap);
}

TEST(webpush_rfc8291_example)
{
    uint8_t ua[65], auth[16], as[32], salt[16];
    CHECK_INT(unb64(rfc_ua_public, ua, sizeof(ua)), 65);
    CHECK_INT(unb64(rfc_auth, auth, sizeof(auth)), 16);
    CHECK_INT(unb64(rfc_as_private, as, sizeof(as)), 32);
    CHECK_INT(unb64(rfc_salt, salt, sizeof(salt)), 16);

    struct buf out = BUF_INIT(0);
    CHECK_INT(webpush_encrypt(ua, auth, rfc_plaintext, strlen(rfc_plaintext), as, salt, &out), 0);
    CHECK_INT(out.len, 144);
    char text[256] = "";
    if (out.len == 144) base64url_encode(out.p, out.len, text);
    CHECK_STR(text, rfc_body);
    /* The key id is the application server's public key the RFC gives for that private key. */
    char keyid[100] = "";
    if (out.len == 144) base64url_encode(out.p + 21, 65, keyid);
    CHECK_STR(keyid, rfc_as_public);
    buf_free(&out);
}

TEST(webpush_encrypt_fresh_keys)
{
    uint8_t ua[65], auth[16];
    CHECK_INT(unb64(rfc_ua_public, ua, sizeof(ua)), 65);
    CHECK_INT(unb64(rfc_auth, auth, sizeof(auth)), 16);
    struct buf a = BUF_INIT(0), b = BUF_INIT(0);
    CHECK_INT(webpush_encrypt(ua, auth, "hi", 2, NULL, NULL, &a), 0);
    CHECK_INT(webpush_encrypt(ua, auth, "hi", 2, NULL, NULL, &b), 0);
    CHECK_INT(a.len, 86 + 2 + 1 + 16);
    CHECK_INT(b.len, a.len);
    if (a.len == b.len && a.len >= 86) {
        CHECK(memcmp(a.p, b.p, 16) != 0);           /* a fresh salt */
        CHECK(memcmp(a.p + 21, b.p + 21, 65) != 0); /* a fresh key */
        CHECK(memcmp(a.p + 16, "\x00\x00\x10\x00\x41", 5) == 0);
        CHECK(crypto_p256_point_valid((const uint8_t *)a.p + 21, 65));
    }
    /* An empty message is one record holding only the delimiter. */
    buf_reset(&a);
    CHECK_INT(webpush_encrypt(ua, auth, NULL, 0, NULL, NULL, &a), 0);
    CHECK_INT(a.len, 86 + 1 + 16);
    buf_free(&a);
    buf_free(&b);
}

TEST(webpush_encrypt_refuses)
{
    static char big[3994];
    uint8_t ua[65], auth[16], bad[65], zero[32] = {0}, order_plus[32];
    CHECK_INT(unb64(rfc_ua_public, ua, sizeof(ua)), 65);
    CHECK_INT(unb64(rfc_auth, auth, sizeof(auth)), 16);
    memset(big, 'x', sizeof(big));
    memset(order_plus, 0xff, sizeof(order_plus)); /* larger than the group order */

    struct buf out = BUF_INIT(0);
    buf_puts(&out, "kept");
    CHECK_INT(webpush_encrypt(ua, auth, big, 3994, NULL, NULL, &out), -1);
    memcpy(bad, ua, 65);
    bad[64] ^= 1; /* off the curve */
    CHECK_INT(webpush_encrypt(bad, auth, "x", 1, NULL, NULL, &out), -1);
    memcpy(bad, ua, 65);
    bad[0] = 0x02; /* not the uncompressed form */
    CHECK_INT(webpush_encrypt(bad, auth, "x", 1, NULL, NULL, &out), -1);
    CHECK_INT(webpush_encrypt(ua, auth, "x", 1, zero, NULL, &out), -1);
    CHECK_INT(webpush_encrypt(ua, auth, "x", 1, order_plus, NULL, &out), -1);
    CHECK_INT(webpush_encrypt(ua, auth, NULL, 1, NULL, NULL, &out), -1);
    CHECK_INT(webpush_encrypt(NULL, auth, "x", 1, NULL, NULL, &out), -1);
    CHECK_INT(webpush_encrypt(ua, NULL, "x", 1, NULL, NULL, &out), -1);
    CHECK_STR(out.p, "kept"); /* nothing appended on failure */

    /* The largest message fills exactly the 4096 bytes a push service must accept. */
    buf_reset(&out);
    CHECK_INT(webpush_encrypt(ua, auth, big, 3993, NULL, NULL, &out), 0);
    CHECK_INT(out.len, 4096);
    /* A buffer with too small a limit refuses the whole body. */
    struct buf small = BUF_INIT(100);
    CHECK_INT(webpush_encrypt(ua, auth, "hello", 5, NULL, NULL, &small), -1);
    CHECK_INT(small.len, 0);
    buf_free(&small);
    buf_free(&out);
}

/* ---- VAPID ---- */

struct vapid_keys {
    char priv[64], pub[100];
};

static void make_vapid(struct vapid_keys *k)
{
    uint8_t priv[32], pub[65];
    CHECK_INT(crypto_p256_keygen(priv, pub), 0);
    base64url_encode(priv, sizeof(priv), k->priv);
    base64url_encode(pub, sizeof(pub), k->pub);
}

/* Verifies a raw r||s ES256 signature over data with the uncompressed public point pub: 1 when
 * valid. Written here with OpenSSL directly, independently of webpush.c. */
static int es256_verify(const uint8_t pub[65], const void *data, size_t n, const uint8_t sig[64])
{
    int ok = 0;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *key = NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
    unsigned char *der = NULL;

    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 65);
    params = OSSL_PARAM_BLD_to_param(bld);
    if (EVP_PKEY_fromdata_init(pctx) != 1 ||
        EVP_PKEY_fromdata(pctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
        goto out;
    if (ECDSA_SIG_set0(es, r, s) != 1) goto out;
    r = s = NULL; /* owned by es now */
    int derlen = i2d_ECDSA_SIG(es, &der);
    if (derlen <= 0) goto out;
    if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) != 1) goto out;
    ok = EVP_DigestVerify(md, der, (size_t)derlen, data, n) == 1;
out:
    OPENSSL_free(der);
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return ok;
}

/* Decodes base64url JSON text [s, s+n) into a jansson value (NULL when it is not). */
static json_t *b64_json(const char *s, size_t n)
{
    uint8_t raw[1024];
    long len = base64url_decode(s, n, raw, sizeof(raw));
    return len < 0 ? NULL : json_loadb((const char *)raw, (size_t)len, 0, NULL);
}

TEST(webpush_vapid_header)
{
    struct vapid_keys k;
    make_vapid(&k);
    int64_t exp = (int64_t)time(NULL) + 3600;
    struct buf out = BUF_INIT(0);
    CHECK_INT(vapid_authorization("https://push.example.net/wpush/v2/gAAAAABd?x=1",
                                  "mailto:ops@shop.example", k.priv, k.pub, exp, &out),
              0);
    if (!out.p) return;

    /* "vapid t=HEADER.CLAIMS.SIGNATURE, k=PUBLIC" */
    CHECK(strncmp(out.p, "vapid t=", 8) == 0);
    const char *t = out.p + 8, *comma = strstr(out.p, ", k=");
    CHECK(comma != NULL);
    if (!comma) goto done;
    CHECK_STR(comma + 4, k.pub);
    const char *dot1 = memchr(t, '.', (size_t)(comma - t));
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', (size_t)(comma - dot1 - 1)) : NULL;
    CHECK(dot1 && dot2);
    if (!dot1 || !dot2) goto done;
    CHECK(memchr(dot2 + 1, '.', (size_t)(comma - dot2 - 1)) == NULL); /* three parts */

    uint8_t raw[512];
    long n = base64url_decode(t, (size_t)(dot1 - t), raw, sizeof(raw));
    CHECK(n > 0);
    if (n > 0) {
        raw[n] = 0;
        CHECK_STR((char *)raw, "{\"typ\":\"JWT\",\"alg\":\"ES256\"}");
    }
    json_t *claims = b64_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    CHECK(claims != NULL);
    CHECK_STR(json_string_value(json_object_get(claims, "aud")), "https://push.example.net");
    CHECK_INT(json_integer_value(json_object_get(claims, "exp")), exp);
    CHECK_STR(json_string_value(json_object_get(claims, "sub")), "mailto:ops@shop.example");
    CHECK_INT(json_object_size(claims), 3);
    json_decref(claims);

    uint8_t sig[64], pub[65];
    CHECK_INT(base64url_decode(dot2 + 1, (size_t)(comma - dot2 - 1), sig, sizeof(sig)), 64);
    CHECK_INT(unb64(k.pub, pub, sizeof(pub)), 65);
    CHECK(es256_verify(pub, t, (size_t)(dot2 - t), sig));
    /* The verification can fail: another key, or one changed byte of the signed text. */
    struct vapid_keys other;
    make_vapid(&other);
    uint8_t other_pub[65];
    CHECK_INT(unb64(other.pub, other_pub, sizeof(other_pub)), 65);
    CHECK(!es256_verify(other_pub, t, (size_t)(dot2 - t), sig));
    char *tampered = strndup(t, (size_t)(dot2 - t));
    tampered[dot1 - t + 3] ^= 1;
    CHECK(!es256_verify(pub, tampered, strlen(tampered), sig));
    free(tampered);
done:
    buf_free(&out);
}

TEST(webpush_vapid_audience)
{
    static const struct {
        const char *endpoint, *aud;
    } cases[] = {
        {"https://fcm.googleapis.com/fcm/send/abc:def", "https://fcm.googleapis.com"},
        {"https://Push.Example.NET:443/x", "https://push.example.net"},
        {"HTTPS://push.example.net:8443", "https://push.example.net:8443"},
        {"http://127.0.0.1:8080/push/a", "http://127.0.0.1:8080"},
        {"http://localhost:80/push/a", "http://localhost"},
        {"https://[::1]:8443/p", "https://[::1]:8443"},
        {"https://updates.push.services.mozilla.com/wpush/v2/x?y#z",
         "https://updates.push.services.mozilla.com"},
    };
    struct vapid_keys k;
    make_vapid(&k);
    int64_t exp = (int64_t)time(NULL) + 600;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct buf out = BUF_INIT(0);
        CHECK_INT(vapid_authorization(cases[i].endpoint, "https://shop.example/contact", k.priv,
                                      k.pub, exp, &out),
                  0);
        const char *t = out.p ? out.p + 8 : "";
        const char *dot1 = strchr(t, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
        json_t *claims = dot2 ? b64_json(dot1 + 1, (size_t)(dot2 - dot1 - 1)) : NULL;
        CHECK_STR(json_string_value(json_object_get(claims, "aud")), cases[i].aud);
        json_decref(claims);
        buf_free(&out);
    }
}

TEST(webpush_vapid_refuses)
{
    struct vapid_keys k, other;
    make_vapid(&k);
    make_vapid(&other);
    int64_t now = (int64_t)time(NULL), exp = now + 600;
    static const char *const endpoints[] = {
        "ftp://push.example.net/x",
        "https:///x",
        "https://user@push.example.net/",
        "https://push.example.net:/",
        "https://push.example.net:99999/",
        "https://push example/",
        "push.example.net/x",
        "https://[::1/x",
    };
    struct buf out = BUF_INIT(0);
    for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
        CHECK_INT(vapid_authorization(endpoints[i], "mailto:a@b.example", k.priv, k.pub, exp, &out),
                  -1);
    static const char *const subjects[] = {"ops@shop.example", "mailto:a b@c", "mailto:a@b\r\nX: y",
                                           "http://shop.example", ""};
    for (size_t i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++)
        CHECK_INT(vapid_authorization("https://p.example/x", subjects[i], k.priv, k.pub, exp, &out),
                  -1);
    const char *ep = "https://p.example/x", *sub = "mailto:a@b.example";
    CHECK_INT(vapid_authorization(ep, sub, k.priv, k.pub, now - 1, &out), -1);
    CHECK_INT(vapid_authorization(ep, sub, k.priv, k.pub, now + 86400 + 120, &out), -1);
    CHECK_INT(vapid_authorization(ep, sub, k.priv, other.pub, exp, &out), -1); /* not a pair */
    CHECK_INT(vapid_authorization(ep, sub, "AAAA", k.pub, exp, &out), -1);
    CHECK_INT(vapid_authorization(ep, sub, k.priv, "BAAA", exp, &out), -1);
    CHECK_INT(vapid_authorization(ep, sub, "not base64url!", k.pub, exp, &out), -1);
    CHECK_INT(vapid_authorization(ep, sub, NULL, k.pub, exp, &out), -1);
    CHECK_INT(out.len, 0);
    CHECK_INT(vapid_authorization(ep, sub, k.priv, k.pub, now + 86400, &out), 0);
    buf_free(&out);
}

/* ---- sending ---- */

TEST(webpush_send_refuses)
{
    struct vapid_keys k;
    make_vapid(&k);
    CURL *h = curl_easy_init();
    struct push_request ok = {.endpoint = "http://127.0.0.1:9/push/a",
                              .p256dh = rfc_ua_public,
                              .auth = rfc_auth,
                              .vapid_private = k.priv,
                              .vapid_public = k.pub,
                              .vapid_subject = "mailto:a@b.example",
                              .payload = "{}",
                              .ttl = 60};
    static char big[4000];
    memset(big, 'x', sizeof(big) - 1);
    struct {
        const char *what;
        struct push_request req;
    } cases[] = {
        {"p256dh off the curve", ok}, {"auth too short", ok},
        {"payload too large", ok},    {"urgency", ok},
        {"topic too long", ok},       {"topic alphabet", ok},
        {"negative TTL", ok},         {"vapid pair", ok},
        {"no endpoint", ok},
    };
    char off_curve[sizeof(rfc_ua_public)];
    memcpy(off_curve, rfc_ua_public, sizeof(off_curve));
    off_curve[60] = off_curve[60] == 'A' ? 'B' : 'A'; /* a changed Y coordinate */
    cases[0].req.p256dh = off_curve;
    cases[1].req.auth = "BTBZMqHH6r4Tts7J_aSI";
    cases[2].req.payload = big;
    cases[3].req.urgency = "urgent";
    cases[4].req.topic = "abcdefghijklmnopqrstuvwxyz0123456";
    cases[5].req.topic = "a topic";
    cases[6].req.ttl = -1;
    cases[7].req.vapid_public = rfc_as_public;
    cases[8].req.endpoint = NULL;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct push_result r;
        memset(&r, 0x55, sizeof(r));
        int rc = webpush_send(h, &cases[i].req, &r);
        if (rc != -1 || r.outcome != PUSH_FAILED) fprintf(stderr, "  case: %s\n", cases[i].what);
        CHECK_INT(rc, -1);
        CHECK_INT(r.outcome, PUSH_FAILED);
        CHECK_INT(r.status, 0);
        CHECK(r.error[0] != '\0' && memchr(r.error, '\0', sizeof(r.error)));
    }
    /* Nothing listens on port 9 of loopback: the request was made and can be retried. */
    struct push_result r;
    CHECK_INT(webpush_send(h, &ok, &r), 0);
    CHECK_INT(r.outcome, PUSH_RETRY);
    CHECK_INT(r.status, 0);
    CHECK(r.error[0] != '\0');
    curl_easy_cleanup(h);
}

/* The push service stand-in, a node process we started, and how to talk to it. */
struct pushsvc {
    pid_t pid;
    int in;    /* its stdin: closing it makes it exit */
    long port; /* 0 when it did not start */
    char base[64];
};

static void pushsvc_stop(struct pushsvc *s)
{
    if (s->pid <= 0) return;
    close(s->in);
    kill(s->pid, SIGTERM);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
}

/* Starts `node tests/e2e/pushsvc/server.js --port 0` (from the repository root, or
 * $RESTOCK_SRCDIR) and reads the port it prints. Failures are reported, never skipped. */
static int pushsvc_start(struct pushsvc *s)
{
    const char *root = getenv("RESTOCK_SRCDIR") ? getenv("RESTOCK_SRCDIR") : ".";
    char script[512], module[512];
    struct stat st;
    memset(s, 0, sizeof(*s));
    snprintf(script, sizeof(script), "%s/tests/e2e/pushsvc/server.js", root);
    snprintf(module, sizeof(module), "%s/tests/e2e/pushsvc/node_modules/http_ece/ece.js", root);
    if (stat(script, &st) != 0 || stat(module, &st) != 0) {
        fprintf(stderr,
                "  push service stand-in missing (%s or its http_ece): run the unit tests "
                "from the repository root after scripts/deps.sh\n",
                script);
        return -1;
    }
    int in[2], out[2];
    if (pipe(in) != 0) return -1;
    if (pipe(out) != 0) {
        close(in[0]), close(in[1]);
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    char *argv[] = {"node", script, "--port", "0", "--until-stdin-closes", NULL};
    int rc = posix_spawnp(&s->pid, "node", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
        fprintf(stderr, "  cannot start node: %s\n", strerror(rc));
        close(in[1]), close(out[0]);
        s->pid = 0;
        return -1;
    }
    s->in = in[1];
    char line[64] = "";
    size_t len = 0;
    struct pollfd p = {out[0], POLLIN, 0};
    while (len < sizeof(line) - 1 && !memchr(line, '\n', len) && poll(&p, 1, 15000) > 0) {
        ssize_t got = read(out[0], line + len, sizeof(line) - 1 - len);
        if (got <= 0) break;
        len += (size_t)got;
        line[len] = '\0';
    }
    close(out[0]);
    if (strncmp(line, "listening ", 10) != 0) {
        fprintf(stderr, "  push service stand-in did not start: \"%s\"\n", line);
        pushsvc_stop(s);
        return -1;
    }
    s->port = strtol(line + 10, NULL, 10);
    snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%ld", s->port);
    return 0;
}

static size_t collect(char *data, size_t size, size_t n, void *ud)
{
    buf_append(ud, data, size * n);
    return size * n;
}

/* method base+path with a JSON body (or NULL); the HTTP status, the answer in resp. */
static long svc_call(const struct pushsvc *s, const char *method, const char *path,
                     const char *json, struct buf *resp)
{
    char url[256];
    long status = 0;
    snprintf(url, sizeof(url), "%s%s", s->base, path);
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (json) curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    return status;
}

/* A subscription: a user agent key pair and auth made here, registered with the stand-in. */
struct sub {
    char endpoint[128], p256dh[100], auth[32];
};

static void subscribe(const struct pushsvc *s, const char *id, const char *vapid_public,
                      struct sub *out)
{
    uint8_t priv[32], pub[65], auth[16];
    char privtext[64];
    CHECK_INT(crypto_p256_keygen(priv, pub), 0);
    crypto_random(auth, sizeof(auth));
    base64url_encode(priv, sizeof(priv), privtext);
    base64url_encode(pub, sizeof(pub), out->p256dh);
    base64url_encode(auth, sizeof(auth), out->auth);
    snprintf(out->endpoint, sizeof(out->endpoint), "%s/push/%s", s->base, id);
    json_t *reg =
        json_pack("{s:s, s:s, s:s}", "id", id, "private_key", privtext, "auth", out->auth);
    if (vapid_public) json_object_set_new(reg, "vapid_public", json_string(vapid_public));
    char *text = json_dumps(reg, JSON_COMPACT);
    struct buf resp = BUF_INIT(0);
    CHECK_INT(svc_call(s, "POST", "/register", text, &resp), 201);
    buf_free(&resp);
    free(text);
    json_decref(reg);
}

static void script(const struct pushsvc *s, const char *id, int status, const char *retry_after)
{
    json_t *o = json_pack("{s:s, s:i}", "id", id, "status", status);
    if (retry_after)
        json_object_set_new(o, "headers", json_pack("{s:s}", "Retry-After", retry_after));
    char *text = json_dumps(o, JSON_COMPACT);
    struct buf resp = BUF_INIT(0);
    CHECK_INT(svc_call(s, "POST", "/respond", text, &resp), 204);
    buf_free(&resp);
    free(text);
    json_decref(o);
}

/* The last message the stand-in recorded (a new reference), or NULL. */
static json_t *last_message(const struct pushsvc *s)
{
    struct buf resp = BUF_INIT(0);
    json_t *msgs = NULL, *last = NULL;
    if (svc_call(s, "GET", "/messages", NULL, &resp) == 200 && resp.p)
        msgs = json_loadb(resp.p, resp.len, 0, NULL);
    size_t n = json_array_size(msgs);
    if (n) last = json_incref(json_array_get(msgs, n - 1));
    json_decref(msgs);
    buf_free(&resp);
    return last;
}

static const char *jget(const json_t *o, const char *path)
{
    /* "a.b": a nested string member */
    char key[32];
    const char *dot = strchr(path, '.');
    if (dot) {
        snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
        return json_string_value(json_object_get(json_object_get(o, key), dot + 1));
    }
    return json_string_value(json_object_get(o, path));
}

TEST(webpush_send_to_push_service)
{
    struct pushsvc svc;
    CHECK_INT(pushsvc_start(&svc), 0);
    if (svc.port == 0) return;
    struct vapid_keys k;
    make_vapid(&k);
    struct sub alice;
    subscribe(&svc, "alice", k.pub, &alice);

    CURL *h = curl_easy_init();
    const char *payload = "{\"title\":\"Back in stock\",\"body\":\"Gr\xc3\xb6\xc3\x9f"
                          "e M \xe2\x9c\x93\",\"link\":\"https://shop.example/p/4471\"}";
    struct push_request req = {.endpoint = alice.endpoint,
                               .p256dh = alice.p256dh,
                               .auth = alice.auth,
                               .vapid_private = k.priv,
                               .vapid_public = k.pub,
                               .vapid_subject = "mailto:ops@shop.example",
                               .payload = payload,
                               .ttl = 86400,
                               .urgency = "high",
                               .topic = "variant-4471"};
    struct push_result r;
    CHECK_INT(webpush_send(h, &req, &r), 0);
    CHECK_INT(r.outcome, PUSH_SENT);
    CHECK_INT(r.status, 201);
    CHECK_STR(r.error, "");

    json_t *m = last_message(&svc);
    CHECK(m != NULL);
    CHECK_STR(jget(m, "payload"), payload);
    CHECK_INT(json_array_size(json_object_get(m, "errors")), 0);
    CHECK(json_is_true(json_object_get(json_object_get(m, "vapid"), "ok")));
    if (!json_is_true(json_object_get(json_object_get(m, "vapid"), "ok")))
        fprintf(stderr, "  vapid: %s\n", jget(m, "vapid.error"));
    json_t *claims = json_object_get(json_object_get(m, "vapid"), "claims");
    CHECK_STR(json_string_value(json_object_get(claims, "aud")), svc.base);
    CHECK_STR(json_string_value(json_object_get(claims, "sub")), "mailto:ops@shop.example");
    int64_t exp = json_integer_value(json_object_get(claims, "exp")), now = time(NULL);
    CHECK(exp > now + 3600 && exp <= now + 86400);
    CHECK_STR(jget(m, "vapid.k"), k.pub);
    CHECK_INT(json_integer_value(json_object_get(m, "ttl")), 86400);
    CHECK_STR(jget(m, "urgency"), "high");
    CHECK_STR(jget(m, "topic"), "variant-4471");
    CHECK_STR(jget(m, "content_encoding"), "aes128gcm");
    CHECK_STR(jget(m, "content_type"), "application/octet-stream");
    json_decref(m);

    /* Again on the same handle: no Urgency given is "normal", no Topic is none; the largest
     * payload arrives whole. */
    static char big[3994];
    memset(big, 'a', sizeof(big) - 1);
    big[0] = '"', big[sizeof(big) - 2] = '"';
    req.payload = big, req.urgency = NULL, req.topic = NULL, req.ttl = 0;
    CHECK_INT(webpush_send(h, &req, &r), 0);
    CHECK_INT(r.outcome, PUSH_SENT);
    m = last_message(&svc);
    CHECK(jget(m, "payload") && strcmp(jget(m, "payload"), big) == 0);
    CHECK_STR(jget(m, "urgency"), "normal");
    CHECK(json_is_null(json_object_get(m, "topic")));
    CHECK_INT(json_integer_value(json_object_get(m, "ttl")), 0);
    CHECK_INT(json_integer_value(json_object_get(m, "length")), 4096);
    json_decref(m);

    /* A subscription restricted to another application server key refuses our token. */
    struct vapid_keys other;
    make_vapid(&other);
    struct sub bob;
    subscribe(&svc, "bob", other.pub, &bob);
    req.endpoint = bob.endpoint, req.p256dh = bob.p256dh, req.auth = bob.auth;
    req.payload = "{}";
    CHECK_INT(webpush_send(h, &req, &r), 0);
    CHECK_INT(r.outcome, PUSH_FAILED);
    CHECK_INT(r.status, 403);
    CHECK(strstr(r.error, "403") != NULL);

    curl_easy_cleanup(h);
    pushsvc_stop(&svc);
}

TEST(webpush_send_outcomes)
{
    struct pushsvc svc;
    CHECK_INT(pushsvc_start(&svc), 0);
    if (svc.port == 0) return;
    struct vapid_keys k;
    make_vapid(&k);
    struct sub carol;
    subscribe(&svc, "carol", NULL, &carol);

    char date[64];
    time_t later = time(NULL) + 300;
    struct tm tm;
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&later, &tm));
    static const struct {
        int status;
        const char *retry_after;
        enum push_outcome outcome;
        long min_retry, max_retry;
    } cases[] = {
        {201, NULL, PUSH_SENT, 0, 0},       {202, NULL, PUSH_SENT, 0, 0},
        {410, NULL, PUSH_GONE, 0, 0},       {404, NULL, PUSH_GONE, 0, 0},
        {429, "120", PUSH_RETRY, 120, 120}, {429, NULL, PUSH_RETRY, 0, 0},
        {503, "", PUSH_RETRY, 0, 0},        {500, NULL, PUSH_RETRY, 0, 0},
        {503, "soon", PUSH_RETRY, 0, 0},    {429, "99999999999", PUSH_RETRY, 604800, 604800},
        {400, NULL, PUSH_FAILED, 0, 0},     {401, NULL, PUSH_FAILED, 0, 0},
        {403, NULL, PUSH_FAILED, 0, 0},     {413, NULL, PUSH_FAILED, 0, 0},
    };
    CURL *h = curl_easy_init();
    struct push_request req = {.endpoint = carol.endpoint,
                               .p256dh = carol.p256dh,
                               .auth = carol.auth,
                               .vapid_private = k.priv,
                               .vapid_public = k.pub,
                               .vapid_subject = "mailto:ops@shop.example",
                               .payload = "{\"title\":\"x\"}",
                               .ttl = 60};
    struct push_result r;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        script(&svc, "carol", cases[i].status, cases[i].retry_after);
        CHECK_INT(webpush_send(h, &req, &r), 0);
        CHECK_INT(r.status, cases[i].status);
        CHECK_INT(r.outcome, cases[i].outcome);
        CHECK(r.retry_after >= cases[i].min_retry && r.retry_after <= cases[i].max_retry);
        if (cases[i].outcome == PUSH_SENT)
            CHECK_STR(r.error, "");
        else
            CHECK(strstr(r.error, "answered") != NULL);
    }
    /* Retry-After as an HTTP-date, about five minutes ahead. */
    script(&svc, "carol", 503, date);
    CHECK_INT(webpush_send(h, &req, &r), 0);
    CHECK_INT(r.outcome, PUSH_RETRY);
    CHECK(r.retry_after >= 295 && r.retry_after <= 300);
    /* Every one of those messages arrived decrypted and with a good token. */
    json_t *m = last_message(&svc);
    CHECK_STR(jget(m, "payload"), "{\"title\":\"x\"}");
    CHECK(json_is_true(json_object_get(json_object_get(m, "vapid"), "ok")));
    json_decref(m);

    /* A push service that is gone: the request was made, so retry later. */
    pushsvc_stop(&svc);
    CHECK_INT(webpush_send(h, &req, &r), 0);
    CHECK_INT(r.outcome, PUSH_RETRY);
    CHECK_INT(r.status, 0);
    curl_easy_cleanup(h);
}
