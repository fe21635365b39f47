#!/usr/bin/python3
"""Independent check of a RelayDesk TLS-RPT report (RFC 8460 section 4).

Usage: check_tlsrpt.py REPORT.json.gz | --mail MESSAGE.eml
Decompresses with Python's gzip, parses with json (and, for --mail, the
message with the email package), checks the fields RFC 8460 4.4 requires,
and prints a summary as JSON: {domain: {policy-type: [success, failure,
{result-type: count}]}} plus the top-level fields. Exit 1 with a reason on
any violation.
"""
import email
import gzip
import json
import re
import sys

REQUIRED_TOP = ["organization-name", "date-range", "contact-info", "report-id", "policies"]
RESULT_TYPES = {
    "starttls-not-supported", "certificate-host-mismatch", "certificate-expired",
    "certificate-not-trusted", "validation-failure", "tlsa-invalid", "dnssec-invalid",
    "dane-required", "sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid",
}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def fail(why):
    print("INVALID: " + why)
    sys.exit(1)


def main():
    extra = {}
    if sys.argv[1] == "--mail":
        msg = email.message_from_binary_file(open(sys.argv[2], "rb"))
        if msg.get_content_type() != "multipart/report" or msg.get_param("report-type") != "tlsrpt":
            fail("not multipart/report; report-type=tlsrpt")
        extra["TLS-Report-Domain"] = msg["TLS-Report-Domain"]
        extra["TLS-Report-Submitter"] = msg["TLS-Report-Submitter"]
        parts = [p for p in msg.walk() if p.get_content_type() == "application/tlsrpt+gzip"]
        if len(parts) != 1:
            fail("expected one application/tlsrpt+gzip part")
        extra["filename"] = parts[0].get_filename()
        data = gzip.decompress(parts[0].get_payload(decode=True))
    else:
        data = gzip.open(sys.argv[1]).read()
    report = json.loads(data.decode("utf-8"))
    for k in REQUIRED_TOP:
        if k not in report:
            fail("missing " + k)
    for k in ("start-datetime", "end-datetime"):
        if not ISO.match(report["date-range"].get(k, "")):
            fail("bad " + k)
    out = {}
    for p in report["policies"]:
        pol = p["policy"]
        for k in ("policy-type", "policy-domain"):
            if k not in pol:
                fail("policy without " + k)
        if pol["policy-type"] not in ("tlsa", "sts", "no-policy-found"):
            fail("bad policy-type " + pol["policy-type"])
        s = p["summary"]
        succ = s["total-successful-session-count"]
        failc = s["total-failure-session-count"]
        counts = {}
        for d in p.get("failure-details", []):
            if d["result-type"] not in RESULT_TYPES:
                fail("unknown result-type " + d["result-type"])
            counts[d["result-type"]] = counts.get(d["result-type"], 0) + d["failed-session-count"]
        if sum(counts.values()) != failc:
            fail("failure-details do not add up to total-failure-session-count")
        out.setdefault(pol["policy-domain"], {})[pol["policy-type"]] = [succ, failc, counts]
    result = {"summary": out, "organization-name": report["organization-name"],
              "report-id": report["report-id"], "date-range": report["date-range"]}
    result.update(extra)
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
