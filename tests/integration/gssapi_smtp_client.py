"""SMTP AUTH GSSAPI (RFC 4752) client for tests: python-gssapi (Debian python3-gssapi)
makes the Kerberos tokens, smtplib carries the SMTP. Independent of the relay's code.

    KRB5_CONFIG=.../krb5.conf KRB5CCNAME=FILE:.../cc_alice \
    /usr/bin/python3 gssapi_smtp_client.py --host mail.example.test --connect 127.0.0.1 --port 2525 \
        [--authzid NAME] [--no-mutual] [--no-initial-response] [--layer 1] [--starttls [--cafile PEM]]

--host is the name the service principal comes from (smtp/<host>@REALM, via
krb5.conf's domain_realm; DNS canonicalization off); --connect is where the TCP
connection goes. --layer picks the security layer octet the client answers with
(only 1, "none", is valid; others exist to test that the server refuses them).
Prints the final SMTP reply; exit 0 on 235, 1 on a refusal, 2 on a local error.
"""

import argparse
import base64
import smtplib
import ssl
import sys

import gssapi


def authenticate(smtp, host, service="smtp", authzid="", mutual=True, initial_response=True, layer=1,
                 ccache=None):
    """Runs AUTH GSSAPI on a connected smtplib.SMTP (after EHLO); returns (code, text)."""
    target = gssapi.Name("%s@%s" % (service, host), gssapi.NameType.hostbased_service)
    creds = None
    if ccache:
        creds = gssapi.Credentials(usage="initiate", store={b"ccache": ccache.encode()})
    flags = [gssapi.RequirementFlag.out_of_sequence_detection]
    if mutual:
        flags.append(gssapi.RequirementFlag.mutual_authentication)
    ctx = gssapi.SecurityContext(name=target, creds=creds, usage="initiate", flags=flags,
                                 mech=gssapi.MechType.kerberos)

    def b64(data):
        return base64.b64encode(data).decode("ascii")

    token = ctx.step()
    if initial_response:
        code, resp = smtp.docmd("AUTH", "GSSAPI " + b64(token))
    else:
        code, resp = smtp.docmd("AUTH", "GSSAPI")
        if code != 334 or resp.strip():
            return code, resp.decode(errors="replace")
        code, resp = smtp.docmd(b64(token))
    rounds = 0
    while code == 334:
        rounds += 1
        if rounds > 6:
            raise RuntimeError("the server keeps sending challenges")
        challenge = base64.b64decode(resp.strip(), validate=True)
        if not ctx.complete:
            out = ctx.step(challenge)  # the AP-REP: mutual authentication of the server
            answer = out or b""        # RFC 4752: empty once the context is established
        else:
            offer = ctx.unwrap(challenge)
            if offer.encrypted:
                raise RuntimeError("the server's offer was encrypted; RFC 4752 wants integrity only")
            if len(offer.message) != 4 or not offer.message[0] & 0x01:
                raise RuntimeError("the server does not offer 'no security layer': %r" % offer.message.hex())
            choice = bytes([layer, 0, 0, 0]) + authzid.encode("utf-8")
            answer = ctx.wrap(choice, False).message
        code, resp = smtp.docmd(b64(answer))
    return code, resp.decode(errors="replace")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="mail.example.test", help="service host name (smtp/<host>)")
    ap.add_argument("--connect", default=None, help="address to connect to (default: --host)")
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--service", default="smtp")
    ap.add_argument("--authzid", default="")
    ap.add_argument("--ccache", default=None, help="KRB5CCNAME-style cache (default: $KRB5CCNAME)")
    ap.add_argument("--no-mutual", action="store_true")
    ap.add_argument("--no-initial-response", action="store_true")
    ap.add_argument("--layer", type=int, default=1)
    ap.add_argument("--starttls", action="store_true")
    ap.add_argument("--cafile", default=None, help="CA for STARTTLS (default: no verification)")
    ap.add_argument("--timeout", type=float, default=20.0)
    args = ap.parse_args(argv)
    try:
        with smtplib.SMTP(args.connect or args.host, args.port, timeout=args.timeout) as smtp:
            smtp.ehlo("client.example.test")
            if args.starttls:
                ctx = ssl.create_default_context(cafile=args.cafile)
                if not args.cafile:
                    ctx.check_hostname = False
                    ctx.verify_mode = ssl.CERT_NONE
                smtp.starttls(context=ctx)
                smtp.ehlo("client.example.test")
            if not smtp.has_extn("auth") or "GSSAPI" not in smtp.esmtp_features.get("auth", "").upper().split():
                print("the server does not offer AUTH GSSAPI: %r" % smtp.esmtp_features.get("auth"))
                return 1
            code, text = authenticate(smtp, args.host, service=args.service, authzid=args.authzid,
                                      mutual=not args.no_mutual, initial_response=not args.no_initial_response,
                                      layer=args.layer, ccache=args.ccache)
            print(code, text)
            return 0 if code == 235 else 1
    except (gssapi.exceptions.GSSError, RuntimeError, OSError, smtplib.SMTPException, ValueError) as e:
        print("error: %s" % e)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
