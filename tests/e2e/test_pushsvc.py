"""The web push service stand-in itself: it must decrypt what a correct sender sends (the RFC 8291
§5 example, byte for byte), refuse what is wrong, and answer scripted statuses, or the tests that
rely on it prove nothing. VAPID tokens here are made with python3-cryptography, not with restock."""

import base64
import http.client
import json
import time

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from pushsvc import PushService, b64url

# RFC 8291 §5 (and Appendix A): the user agent's keys and the encrypted message.
RFC_UA_PRIVATE = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
RFC_AUTH = "BTBZMqHH6r4Tts7J_aSIgg"
RFC_BODY = ("DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27ml"
            "mlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPT"
            "pK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN")
RFC_PLAINTEXT = "When I grow up, I want to be a watermelon"


def unb64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def vapid(aud, key=None, signer=None, exp=None, sub="mailto:ops@example.com"):
    """A VAPID Authorization header: k is key's public point, the JWT signed by signer (default
    key)."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    signer = signer or key
    head = b64url(json.dumps({"typ": "JWT", "alg": "ES256"}).encode())
    claims = b64url(json.dumps({"aud": aud, "exp": exp or int(time.time()) + 3600,
                                "sub": sub}).encode())
    der = signer.sign(("%s.%s" % (head, claims)).encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    sig = b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
    k = b64url(key.public_key().public_bytes(serialization.Encoding.X962,
                                             serialization.PublicFormat.UncompressedPoint))
    return "vapid t=%s.%s.%s, k=%s" % (head, claims, sig, k)


def post(svc, path, body, headers):
    conn = http.client.HTTPConnection("127.0.0.1", svc.port, timeout=10)
    try:
        conn.request("POST", path, body=body, headers=headers)
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


def push_headers(svc, **extra):
    h = {"TTL": "60", "Content-Encoding": "aes128gcm",
         "Content-Type": "application/octet-stream", "Authorization": vapid(svc.url)}
    h.update(extra)
    return h


@pytest.fixture
def svc():
    with PushService() as s:
        s.register_keys("rfc", RFC_UA_PRIVATE, RFC_AUTH)
        yield s


def test_decrypts_the_rfc8291_example(svc):
    status, headers, _ = post(svc, "/push/rfc", unb64url(RFC_BODY),
                              push_headers(svc, Urgency="high", Topic="restock-4471"))
    assert status == 201 and headers["Location"].startswith("/message/")
    [m] = svc.messages("rfc")
    assert m["payload"] == RFC_PLAINTEXT
    assert m["errors"] == []
    assert m["vapid"]["ok"], m["vapid"]
    assert m["vapid"]["claims"]["aud"] == svc.url
    assert (m["ttl"], m["urgency"], m["topic"]) == (60, "high", "restock-4471")


def test_refuses_a_tampered_message(svc):
    body = bytearray(unb64url(RFC_BODY))
    body[-20] ^= 1
    status, _, text = post(svc, "/push/rfc", bytes(body), push_headers(svc))
    assert status == 400 and b"decryption failed" in text
    [m] = svc.messages()
    assert m["payload"] is None


@pytest.mark.parametrize("why,auth,want", [
    ("no token", None, 401),
    ("wrong audience", lambda u: vapid("https://push.example.net"), 403),
    ("audience with a path", lambda u: vapid(u + "/push/rfc"), 403),
    ("expired", lambda u: vapid(u, exp=int(time.time()) - 10), 403),
    ("more than 24 h ahead", lambda u: vapid(u, exp=int(time.time()) + 2 * 86400), 403),
    ("k is not the signer",
     lambda u: vapid(u, signer=ec.generate_private_key(ec.SECP256R1())), 403),
    ("subject not a URL", lambda u: vapid(u, sub="ops@example.com"), 403),
])
def test_refuses_bad_vapid(svc, why, auth, want):
    headers = push_headers(svc)
    if auth is None:
        del headers["Authorization"]
    else:
        headers["Authorization"] = auth(svc.url)
    status, _, _ = post(svc, "/push/rfc", unb64url(RFC_BODY), headers)
    assert status == want, why
    [m] = svc.messages()
    assert not m["vapid"]["ok"] and m["vapid"]["error"]
    assert m["payload"] == RFC_PLAINTEXT  # decrypted all the same, for the record


def test_restricted_subscription_wants_its_key(svc):
    key = ec.generate_private_key(ec.SECP256R1())
    k = b64url(key.public_key().public_bytes(serialization.Encoding.X962,
                                             serialization.PublicFormat.UncompressedPoint))
    svc._call("POST", "/register", {"id": "bound", "private_key": RFC_UA_PRIVATE,
                                    "auth": RFC_AUTH, "vapid_public": k})
    assert post(svc, "/push/bound", unb64url(RFC_BODY), push_headers(svc))[0] == 403
    good = push_headers(svc, Authorization=vapid(svc.url, key=key))
    assert post(svc, "/push/bound", unb64url(RFC_BODY), good)[0] == 201


@pytest.mark.parametrize("headers,why", [
    ({"TTL": None}, "TTL"),
    ({"Urgency": "urgent"}, "Urgency"),
    ({"Topic": "has space"}, "Topic"),
    ({"Content-Encoding": "aesgcm"}, "Content-Encoding"),
])
def test_refuses_bad_headers(svc, headers, why):
    h = push_headers(svc)
    for name, value in headers.items():
        if value is None:
            del h[name]
        else:
            h[name] = value
    status, _, text = post(svc, "/push/rfc", unb64url(RFC_BODY), h)
    assert status == 400 and why.encode() in text


def test_unknown_subscription_is_404(svc):
    assert post(svc, "/push/nobody", unb64url(RFC_BODY), push_headers(svc))[0] == 404


def test_scripted_answers(svc):
    svc.set_response("rfc", 429, {"Retry-After": "120"}, times=1)
    status, headers, _ = post(svc, "/push/rfc", unb64url(RFC_BODY), push_headers(svc))
    assert status == 429 and headers["Retry-After"] == "120"
    assert post(svc, "/push/rfc", unb64url(RFC_BODY), push_headers(svc))[0] == 201
    svc.set_response("rfc", 410)
    assert post(svc, "/push/rfc", unb64url(RFC_BODY), push_headers(svc))[0] == 410
    assert post(svc, "/push/rfc", unb64url(RFC_BODY), push_headers(svc))[0] == 410
    svc.set_response("rfc", None)
    assert post(svc, "/push/rfc", unb64url(RFC_BODY), push_headers(svc))[0] == 201
    assert [m["status"] for m in svc.messages("rfc")] == [429, 201, 410, 410, 201]
    svc.clear()
    assert svc.messages() == []


def test_register_gives_a_browser_subscription(svc):
    sub = svc.register("alice")
    assert sub["endpoint"] == svc.url + "/push/alice"
    assert len(unb64url(sub["keys"]["p256dh"])) == 65
    assert unb64url(sub["keys"]["p256dh"])[0] == 4
    assert len(unb64url(sub["keys"]["auth"])) == 16
    assert "=" not in sub["keys"]["p256dh"] + sub["keys"]["auth"]
