#!/usr/bin/python3
"""check_eml — checks one notification email as restock builds it, with Python's email package.

    /usr/bin/python3 tests/e2e/check_eml.py FILE.eml --subject S --from-name N --from-addr A \
        --to T --text-file F --html-file F [--unsubscribe URL] [--message-id ID]

Exit status 0 when every check passes; otherwise each failed check is printed and the status is 1.
Checked: CRLF line ends only, header lines at most 78 characters and body lines at most 76; no
parser defects; From, To, Subject (decoded), Date, Message-ID, MIME-Version and the two
List-Unsubscribe headers; multipart/alternative with exactly a text/plain and a text/html part,
both UTF-8 and quoted-printable, decoding to exactly the given texts (line ends compared after
turning CRLF into LF, since MIME text travels with CRLF line breaks).
"""

import argparse
import email
import email.policy
import email.utils
import sys


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("eml")
    ap.add_argument("--subject", required=True)
    ap.add_argument("--from-name", default="")
    ap.add_argument("--from-addr", required=True)
    ap.add_argument("--to", required=True)
    ap.add_argument("--text-file", required=True)
    ap.add_argument("--html-file", required=True)
    ap.add_argument("--unsubscribe")
    ap.add_argument("--message-id")
    a = ap.parse_args(argv)
    raw = open(a.eml, "rb").read()
    text = open(a.text_file, encoding="utf-8").read().replace("\r\n", "\n")
    html = open(a.html_file, encoding="utf-8").read().replace("\r\n", "\n")
    bad = []

    def check(cond, what):
        if not cond:
            bad.append(what)

    head, sep, body = raw.partition(b"\r\n\r\n")
    check(sep, "no blank line after the header")
    check(b"\n" not in raw.replace(b"\r\n", b""), "a bare LF")
    check(b"\r" not in raw.replace(b"\r\n", b""), "a bare CR")
    for line in head.split(b"\r\n"):
        check(len(line) <= 78, "header line over 78: %r" % line)
        check(all(b < 128 for b in line), "non-ASCII header line: %r" % line)
    for line in body.split(b"\r\n"):
        check(len(line) <= 76, "body line over 76: %r" % line)
        check(all(b < 128 for b in line), "non-ASCII body line: %r" % line)

    msg = email.message_from_bytes(raw, policy=email.policy.default)
    check(not msg.defects, "message defects: %r" % msg.defects)
    check(str(msg["Subject"]) == a.subject, "Subject %r != %r" % (str(msg["Subject"]), a.subject))
    frm = msg["From"]
    check(frm is not None and len(frm.addresses) == 1, "From: %r" % frm)
    if frm is not None and len(frm.addresses) == 1:
        check(frm.addresses[0].display_name == a.from_name,
              "From name %r != %r" % (frm.addresses[0].display_name, a.from_name))
        check(frm.addresses[0].addr_spec == a.from_addr,
              "From addr %r != %r" % (frm.addresses[0].addr_spec, a.from_addr))
    check(str(msg["To"]) == a.to, "To %r != %r" % (str(msg["To"]), a.to))
    check(msg["Date"] is not None and msg["Date"].datetime is not None, "Date unparsable")
    if a.message_id:
        check(str(msg["Message-ID"]) == "<%s>" % a.message_id, "Message-ID %r" % msg["Message-ID"])
    check(str(msg["MIME-Version"]) == "1.0", "MIME-Version %r" % msg["MIME-Version"])
    if a.unsubscribe:
        check(str(msg["List-Unsubscribe"]) == "<%s>" % a.unsubscribe,
              "List-Unsubscribe %r" % msg["List-Unsubscribe"])
        check(str(msg["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click",
              "List-Unsubscribe-Post %r" % msg["List-Unsubscribe-Post"])
    check(msg.get_content_type() == "multipart/alternative", "type %s" % msg.get_content_type())
    parts = list(msg.iter_parts()) if msg.is_multipart() else []
    check([p.get_content_type() for p in parts] == ["text/plain", "text/html"],
          "parts %r" % [p.get_content_type() for p in parts])
    for p, want in zip(parts, (text, html)):
        kind = p.get_content_type()
        check(not p.defects, "%s defects: %r" % (kind, p.defects))
        check(p.get_content_charset() == "utf-8", "%s charset %r" % (kind, p.get_content_charset()))
        check(p["Content-Transfer-Encoding"] == "quoted-printable", "%s not quoted-printable" % kind)
        got = p.get_content().replace("\r\n", "\n")
        check(got == want, "%s decodes to %r, expected %r" % (kind, got, want))
    for b in bad:
        print("check_eml: " + b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
