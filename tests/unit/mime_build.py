#!/usr/bin/python3
"""Builds real MIME messages with Python's `email` package for tst_mime and
tst_contentfilter, and describes them with Python's own parser (an
independent oracle for the C++ MIME parser).

    /usr/bin/python3 mime_build.py OUTDIR

Writes OUTDIR/<name>.eml (CRLF line ends) and OUTDIR/expected.json:
  { name: { "intent":  what the script put in (subject, file names),
            "subject": str(msg["Subject"]) as parsed back by Python,
            "x_note":  str(msg["X-Note"]) (an unstructured field),
            "py_defects": number of defects Python's parser found,
            "parts": [ one per part in msg.walk() order:
                {"content_type", "filename", "disposition", "charset",
                 "text" (text/* leaves: get_content()),
                 "sha256" (other leaves: of get_payload(decode=True))} ] } }
"""
import email
import email.policy
import hashlib
import json
import os
import sys
from email.header import Header, decode_header, make_header
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

SMTP = email.policy.SMTP  # CRLF line ends
COMPAT_SMTP = email.policy.compat32.clone(linesep="\r\n")

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"
EXE = b"MZ\x90\x00" + bytes(range(255, -1, -1)) * 3


def base_headers(msg, subject):
    msg["From"] = "Alice Example <alice@example.org>"
    msg["To"] = "bob@example.com"
    msg["Subject"] = subject
    msg["Message-ID"] = "<test@example.org>"
    msg["X-Note"] = "plain note"


def m_plain_qp():
    subject = "Gr\u00fc\u00dfe aus K\u00f6ln \u2014 ein sehr langer Betreff, damit er in mehrere kodierte W\u00f6rter gefaltet wird \u2713"
    msg = EmailMessage(policy=SMTP)
    base_headers(msg, subject)
    body = "Hallo B\u00f6b,\n\nder Pr\u00e4sident l\u00e4dt ein: viagra-frei & =gleich= \u20ac 5.\n" + "x" * 90 + " lange Zeile\n"
    msg.set_content(body, charset="utf-8", cte="quoted-printable")
    return msg.as_bytes(), {"subject": subject, "filenames": []}


def m_latin1():
    subject = "Gr\u00fc\u00dfe f\u00fcr M\u00fcller"
    msg = MIMEText("Sch\u00f6ne Gr\u00fc\u00dfe\nVIAGRA g\u00fcnstig\n", "plain", "iso-8859-1", policy=COMPAT_SMTP)
    msg["From"] = "m@example.de"
    msg["To"] = "bob@example.com"
    msg["Subject"] = Header(subject, "iso-8859-1")
    msg["X-Note"] = Header("Caf\u00e9 cr\u00e8me", "iso-8859-1")
    return msg.as_bytes(policy=COMPAT_SMTP), {"subject": subject, "filenames": []}


def m_base64_text():
    msg = EmailMessage(policy=SMTP)
    base_headers(msg, "\u65e5\u672c\u8a9e\u306e\u4ef6\u540d")
    msg.set_content("\u65e5\u672c\u8a9e\u306e\u672c\u6587\u3067\u3059\u3002\nSecond line.\n", charset="utf-8", cte="base64")
    return msg.as_bytes(), {"subject": "\u65e5\u672c\u8a9e\u306e\u4ef6\u540d", "filenames": []}


def m_nested():
    # multipart/mixed [ multipart/alternative [ text/plain,
    #   multipart/mixed [ text/html, application/pdf ] ], application/x-msdownload ]
    outer = MIMEMultipart("mixed", policy=COMPAT_SMTP)
    outer["From"] = "a@example.org"
    outer["To"] = "b@example.com"
    outer["Subject"] = "nested"
    outer.preamble = "This is a multi-part message in MIME format."
    outer.epilogue = "epilogue text"
    alt = MIMEMultipart("alternative", policy=COMPAT_SMTP)
    alt.attach(MIMEText("plain version\n", "plain", "utf-8", policy=COMPAT_SMTP))
    inner = MIMEMultipart("mixed", policy=COMPAT_SMTP)
    inner.attach(MIMEText("<p>html <b>version</b> \u00e9</p>\n", "html", "utf-8", policy=COMPAT_SMTP))
    pdf = MIMEApplication(PDF, "pdf", policy=COMPAT_SMTP)
    pdf.add_header("Content-Disposition", "attachment", filename="report.pdf")
    inner.attach(pdf)
    alt.attach(inner)
    outer.attach(alt)
    exe = MIMEApplication(EXE, "x-msdownload", policy=COMPAT_SMTP)
    exe.add_header("Content-Disposition", "attachment", filename="invoice.pdf.exe")
    outer.attach(exe)
    return outer.as_bytes(policy=COMPAT_SMTP), {"subject": "nested", "filenames": ["report.pdf", "invoice.pdf.exe"]}


LONG_NAME = "\u00dcbersicht der Verk\u00e4ufe \u2014 Gesch\u00e4ftsjahr 2024, Quartal vier, endg\u00fcltige Fassung (\u00e4\u00f6\u00fc).JS"


def m_attachments():
    msg = EmailMessage(policy=SMTP)
    base_headers(msg, "attachments")
    msg.set_content("see attached\n")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="R\u00e9sum\u00e9 \u00e9t\u00e9.pdf")
    msg.add_attachment(EXE, maintype="application", subtype="octet-stream", filename=LONG_NAME)
    msg.add_attachment("line one\nline two \u00e4\n", subtype="plain", charset="utf-8", filename="notes.txt")
    msg.add_attachment(b"MsgBox 1", maintype="application", subtype="octet-stream", filename="REPORT.VBS")
    return msg.as_bytes(), {"subject": "attachments",
                            "filenames": ["R\u00e9sum\u00e9 \u00e9t\u00e9.pdf", LONG_NAME, "notes.txt", "REPORT.VBS"]}


def m_rfc822():
    inner = EmailMessage(policy=SMTP)
    inner["From"] = "c@example.net"
    inner["To"] = "d@example.net"
    inner["Subject"] = "Weitergeleitet: \u00dcberweisung"
    inner.set_content("inner body with the secret word WIRETRANSFER\n")
    inner.add_attachment(b"WScript.Echo 1", maintype="application", subtype="octet-stream", filename="payload.vbs")
    outer = EmailMessage(policy=SMTP)
    base_headers(outer, "fwd")
    outer.set_content("forwarding\n")
    outer.add_attachment(inner)  # message/rfc822
    return outer.as_bytes(), {"subject": "fwd", "filenames": ["payload.vbs"],
                              "inner_subject": "Weitergeleitet: \u00dcberweisung"}


def m_outlook_2047_name():
    # File names as RFC 2047 encoded words inside quoted parameters (Outlook
    # and others do this although RFC 2047 5 forbids it).
    name = "\u0421\u0447\u0451\u0442 \u2116 5.exe"
    encoded = Header(name, "utf-8").encode()
    raw = ("From: a@example.org\r\nTo: b@example.com\r\nSubject: =?utf-8?q?outlook?=\r\n"
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n"
           "--XYZ\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nhi\r\n"
           "--XYZ\r\nContent-Type: application/octet-stream; name=\"%s\"\r\n"
           "Content-Disposition: attachment; filename=\"%s\"\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\nTVqQAA==\r\n--XYZ--\r\n") % (encoded, encoded)
    return raw.encode("ascii"), {"subject": "outlook", "filenames": [name]}


def m_digest():
    d = MIMEMultipart("digest", policy=COMPAT_SMTP)
    d["Subject"] = "digest"
    for i in range(3):
        m = MIMEText("digest item %d\n" % i, "plain", "us-ascii", policy=COMPAT_SMTP)
        m["Subject"] = "item %d" % i
        d.attach(MIMEMessage(m, policy=COMPAT_SMTP))
    data = d.as_bytes(policy=COMPAT_SMTP)
    # In a digest, message/rfc822 is the default: drop the explicit types.
    data = data.replace(b"Content-Type: message/rfc822\r\nMIME-Version: 1.0\r\n", b"")
    return data, {"subject": "digest", "filenames": []}


def m_missing_end():
    data, intent = m_nested()
    # Remove the close delimiter of the outer multipart and its epilogue.
    boundary = data.split(b'boundary="', 1)[1].split(b'"', 1)[0]
    close = b"--" + boundary + b"--"
    data = data[: data.rindex(close)]
    return data, intent


def m_bad_base64():
    msg = EmailMessage(policy=SMTP)
    base_headers(msg, "bad base64")
    msg.set_content("fine\n")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="broken.pdf")
    data = msg.as_bytes()
    # Garbage characters inside the base64 body of the attachment.
    start = data.index(b"\r\n\r\n", data.index(b'filename="broken.pdf"')) + 4
    line2 = data.index(b"\r\n", start) + 2
    data = data[: line2 + 10] + b"!*" + data[line2 + 10:]
    return data, {"subject": "bad base64", "filenames": ["broken.pdf"]}


def m_garbage_headers():
    raw = (b"From: a@example.org\r\nthis line is not a header\r\nSubject: hidden\r\n\r\nbody\r\n")
    return raw, {"subject": None, "filenames": []}


BUILDERS = {
    "plain_qp": m_plain_qp,
    "latin1": m_latin1,
    "base64_text": m_base64_text,
    "nested": m_nested,
    "attachments": m_attachments,
    "rfc822": m_rfc822,
    "outlook_2047_name": m_outlook_2047_name,
    "digest": m_digest,
    "missing_end": m_missing_end,
    "bad_base64": m_bad_base64,
    "garbage_headers": m_garbage_headers,
}


def py_filename(part):
    name = part.get_filename()
    if name is None:
        return ""
    if "=?" in name:  # Python's own RFC 2047 decoder for the Outlook form
        name = str(make_header(decode_header(name)))
    return name


def describe(data):
    msg = email.message_from_bytes(data, policy=email.policy.default)
    parts = []
    defects = 0
    for part in msg.walk():
        defects += len(part.defects)
        d = {
            "content_type": part.get_content_type(),
            "filename": py_filename(part),
            "disposition": part.get_content_disposition() or "",
            "charset": part.get_content_charset() or "",
        }
        if not part.is_multipart():
            if part.get_content_maintype() == "text":
                d["text"] = part.get_content()
            else:
                d["sha256"] = hashlib.sha256(part.get_payload(decode=True) or b"").hexdigest()
        parts.append(d)
    return {
        "subject": None if msg["Subject"] is None else str(msg["Subject"]),
        "x_note": None if msg["X-Note"] is None else str(msg["X-Note"]),
        "py_defects": defects,
        "preamble": msg.preamble if msg.is_multipart() else None,
        "epilogue": msg.epilogue if msg.is_multipart() else None,
        "parts": parts,
    }


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    expected = {}
    for name, build in BUILDERS.items():
        data, intent = build()
        with open(os.path.join(out, name + ".eml"), "wb") as f:
            f.write(data)
        e = describe(data)
        e["intent"] = intent
        expected[name] = e
    with open(os.path.join(out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
