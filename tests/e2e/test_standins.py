"""The test stand-ins themselves (smtp_sink.py, sms_provider.py) in class mode, driven by
Python's own clients: what the C tests and the end-to-end tests rely on them to do."""

import base64
import json
import smtplib
import ssl
import urllib.error
import urllib.parse
import urllib.request

import pytest

from sms_provider import SmsProvider
from smtp_sink import SmtpSink

# aiosmtpd warns (from its server thread) that AUTH without TLS is insecure: here it is meant.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH")

MSG = (
    "From: shop@example.com\r\nTo: anna@example.org\r\n"
    "Subject: =?UTF-8?B?R3LDuG4=?=\r\n\r\nHej\r\n.\r\n"
).encode()


def test_smtp_sink_starttls_auth_and_failures():
    with SmtpSink(
        auth=("u", "p w"), starttls=True, fail_rcpt={"gone@example.org"},
        tempfail_rcpt={"later@example.org"},
    ) as sink:
        ctx = ssl.create_default_context(cafile=sink.cert_path)
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as c:
            c.starttls(context=ctx)
            with pytest.raises(smtplib.SMTPAuthenticationError) as e:
                c.login("u", "wrong")
            assert e.value.smtp_code == 535
            c.login("u", "p w")
            c.sendmail("shop@example.com", ["anna@example.org"], MSG)
            with pytest.raises(smtplib.SMTPRecipientsRefused) as e:
                c.sendmail("shop@example.com", ["gone@example.org"], MSG)
            assert e.value.recipients["gone@example.org"][0] == 550
            with pytest.raises(smtplib.SMTPRecipientsRefused) as e:
                c.sendmail("shop@example.com", ["later@example.org"], MSG)
            assert e.value.recipients["later@example.org"][0] == 451
            sink.tempfail_next(1)
            with pytest.raises(smtplib.SMTPDataError) as e:
                c.sendmail("shop@example.com", ["anna@example.org"], MSG)
            assert e.value.smtp_code == 451
            sink.fail_next(1)
            with pytest.raises(smtplib.SMTPDataError) as e:
                c.sendmail("shop@example.com", ["anna@example.org"], MSG)
            assert e.value.smtp_code == 554
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as c:
            with pytest.raises(smtplib.SMTPSenderRefused) as e:
                c.sendmail("shop@example.com", ["anna@example.org"], MSG)
            assert e.value.smtp_code == 530
        got = sink.messages()
        assert len(got) == 1
        m = got[0]
        assert (m.mail_from, m.rcpt_tos, m.auth_user, m.tls) == (
            "shop@example.com", ["anna@example.org"], "u", True)
        assert m.raw == MSG  # dot-unstuffed, byte for byte
        assert str(m.message["Subject"]) == "Grøn"


def _post(url, fields, auth):
    req = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode())
    req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def test_sms_provider_records_and_fails_on_request():
    with SmsProvider(status_for={"+4511111111": 400}, auth=("AC", "tok")) as p:
        f = {"To": "+4587654321", "From": "+4512345678", "Body": "Grøn & 50% +"}
        st, body = _post(p.url(), f, "AC:tok")
        assert st == 201 and body["sid"].startswith("SM") and body["body"] == f["Body"]
        p.fail_next([500, 429])
        assert _post(p.url(), f, "AC:tok")[0] == 500
        assert _post(p.url(), f, "AC:tok")[0] == 429
        assert _post(p.url(), dict(f, To="+4511111111"), "AC:tok")[0] == 400
        assert _post(p.url(), f, "AC:nope")[0] == 401
        assert _post(p.url(), f, "AC:tok")[0] == 201
        reqs = p.requests()
        assert [r["status"] for r in reqs] == [201, 500, 429, 400, 401, 201]
        assert reqs[0]["fields"] == f
        assert (reqs[0]["user"], reqs[0]["password"]) == ("AC", "tok")
        assert reqs[0]["path"] == SmsProvider.PATH
