#!/usr/bin/python3
"""Independent oracle for tst_pickupparser: Python's email package (policy.default).

  pickup_oracle.py addresses   stdin: JSON list of header values
                               stdout: JSON list of {"defects": n, "addrs": [addr_spec...]}
  pickup_oracle.py file PATH   stdout: {"recipients": [To, Cc, Bcc addr_specs in order],
                                        "headers": [field names in order]}
"""
import email
import email.policy
import json
import sys


def addresses(values):
    out = []
    for v in values:
        try:
            # RFC 5322 unfolding: CRLF before whitespace is removed.
            h = email.policy.default.header_factory('To', v.replace('\r\n', ''))
            addrs = [a.addr_spec for a in h.addresses]
            out.append({"defects": len(h.defects), "addrs": addrs})
        except Exception as e:  # noqa: BLE001 - an oracle failure is a defect
            out.append({"defects": 1, "addrs": [], "error": str(e)})
    return out


def parse_file(path):
    with open(path, 'rb') as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    rcpts = []
    for name in ('To', 'Cc', 'Bcc'):
        for value in msg.get_all(name, []):
            rcpts += [a.addr_spec for a in value.addresses]
    return {"recipients": rcpts, "headers": [k for k in msg.keys()]}


if __name__ == '__main__':
    if sys.argv[1] == 'addresses':
        json.dump(addresses(json.load(sys.stdin)), sys.stdout)
    else:
        json.dump(parse_file(sys.argv[2]), sys.stdout)
