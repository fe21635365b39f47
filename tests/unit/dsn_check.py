#!/usr/bin/python3
"""Independent check of a delivery status notification built by rd::delivery::buildDsn.

Usage: dsn_check.py MESSAGE_FILE EXPECTED_JSON

Parses the message with Python's email package (policy=default) and checks it
against the expectations (a JSON object):
  subject, to, report_type ("message/delivery-status" or the global form),
  part3 (content type), message_id (the original's Message-ID, found in part 3),
  envid (optional), recipients: [{final, action, status, original?, diagnostic?,
  remote_mta?}] in order.
Exit status 0 when everything matches; 1 with one line per problem on stderr.
"""

import email
import email.parser
import email.policy
import json
import sys

problems = []


def check(cond, what):
    if not cond:
        problems.append(what)
    return cond


def field_blocks(raw):
    """Blocks of header fields separated by empty lines (RFC 3464 2.1)."""
    blocks = []
    text = raw.replace("\r\n", "\n")
    for chunk in text.split("\n\n"):
        if chunk.strip():
            blocks.append(email.parser.HeaderParser(policy=email.policy.default).parsestr(chunk + "\n\n"))
    return blocks


def status_blocks(part):
    ctype = part.get_content_type()
    if ctype == "message/delivery-status":
        return list(part.get_payload())  # the email package splits the blocks itself
    # message/global-delivery-status (RFC 6533) is parsed like message/rfc822:
    # the per-message block becomes the headers of one embedded message.
    if part.is_multipart():
        inner = part.get_payload(0)
        rest = b"" if inner.is_multipart() else inner.get_payload(decode=True)
        return [inner] + field_blocks(rest.decode("utf-8"))
    return field_blocks(part.get_payload(decode=True).decode("utf-8"))


def main():
    if len(sys.argv) != 3:
        print("usage: dsn_check.py MESSAGE_FILE EXPECTED_JSON", file=sys.stderr)
        return 2
    with open(sys.argv[1], "rb") as f:
        raw = f.read()
    expected = json.loads(sys.argv[2])

    # Wire format, independent of the parser.
    lines = raw.split(b"\r\n")
    check(raw.endswith(b"\r\n"), "message does not end with CRLF")
    for n, line in enumerate(lines, 1):
        check(b"\n" not in line and b"\r" not in line, f"line {n}: bare CR or LF")
        check(len(line) <= 998, f"line {n}: {len(line)} octets (more than 998)")

    msg = email.message_from_bytes(raw, policy=email.policy.default)
    for name in ("From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Auto-Submitted"):
        check(msg[name] is not None, f"header {name} missing")
    check(str(msg["Auto-Submitted"]) == "auto-replied", f"Auto-Submitted is {msg['Auto-Submitted']!r}")
    check(msg["Date"] is None or msg["Date"].datetime is not None, "Date does not parse")
    if "subject" in expected:
        check(str(msg["Subject"]) == expected["subject"], f"Subject is {msg['Subject']!r}")
    if "to" in expected:
        addrs = msg["To"].addresses if msg["To"] is not None else ()
        check(len(addrs) == 1 and addrs[0].addr_spec == expected["to"], f"To is {msg['To']!r}")
    if not check(msg.get_content_type() == "multipart/report", f"Content-Type is {msg.get_content_type()}"):
        return fail()
    check(msg.get_param("report-type") == "delivery-status", f"report-type is {msg.get_param('report-type')!r}")
    check(not msg.defects, f"message defects: {msg.defects}")
    parts = msg.get_payload()
    if not check(len(parts) == 3, f"{len(parts)} parts, expected 3"):
        return fail()

    text, report, original = parts
    check(text.get_content_type() == "text/plain", f"part 1 is {text.get_content_type()}")
    check(len(text.get_content().strip()) > 0, "part 1 is empty")

    expected_report = expected.get("report_type", "message/delivery-status")
    check(report.get_content_type() == expected_report, f"part 2 is {report.get_content_type()}")
    blocks = status_blocks(report)
    if check(len(blocks) >= 2, f"part 2 has {len(blocks)} field blocks"):
        per_message = blocks[0]
        check(per_message["Reporting-MTA"] is not None, "Reporting-MTA missing")
        check(str(per_message["Reporting-MTA"]).startswith("dns;"), "Reporting-MTA is not dns;")
        if "envid" in expected:
            check(str(per_message["Original-Envelope-Id"]) == expected["envid"],
                  f"Original-Envelope-Id is {per_message['Original-Envelope-Id']!r}")
        else:
            check(per_message["Original-Envelope-Id"] is None, "unexpected Original-Envelope-Id")
        recipients = blocks[1:]
        exp_rcpts = expected.get("recipients", [])
        check(len(recipients) == len(exp_rcpts), f"{len(recipients)} recipient blocks, expected {len(exp_rcpts)}")
        for i, (got, want) in enumerate(zip(recipients, exp_rcpts)):
            for key, field in (("final", "Final-Recipient"), ("action", "Action"), ("status", "Status"),
                               ("original", "Original-Recipient"), ("diagnostic", "Diagnostic-Code"),
                               ("remote_mta", "Remote-MTA")):
                if key in want:
                    value = got[field]
                    value = None if value is None else " ".join(str(value).split())
                    check(value == want[key], f"recipient {i + 1}: {field} is {value!r}, expected {want[key]!r}")

    expected_part3 = expected.get("part3", "text/rfc822-headers")
    ctype = original.get_content_type()
    check(ctype == expected_part3, f"part 3 is {ctype}, expected {expected_part3}")
    if original.is_multipart():  # message/rfc822, message/global, message/global-headers
        inner = original.get_payload(0)
    else:
        body = original.get_payload(decode=True)
        inner = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(body)
    if "message_id" in expected:
        check(str(inner["Message-ID"]).strip() == expected["message_id"],
              f"original Message-ID is {inner['Message-ID']!r}")
    return fail()


def fail():
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
