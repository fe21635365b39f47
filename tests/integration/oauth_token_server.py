"""An OAuth 2.0 token endpoint for the integration tests, built on oauthlib's server classes.

Runs in a thread of the test process on 127.0.0.1 (plain HTTP: loopback only).
- /token: client_credentials (client_secret_post, or private_key_jwt whose JWT is verified with the
  registered certificate's public key through PyJWT + cryptography: signature, aud, iss/sub, exp),
  authorization_code with PKCE S256 (oauthlib verifies code_verifier), refresh_token (rotated).
- /authorize: issues a code for the registered redirect URI (the "browser step" of a test).
- Failure switches: mode "invalid_client" (the Microsoft AADSTS7000215 reply), "500", "slow",
  "down" (the listener is closed; start() again to come back), expires_in per token.
- TokenStore: what was issued; the SMTP test server validates tokens against it and tests revoke them.
Python 3 standard library + Debian python3-oauthlib, python3-jwt, python3-cryptography.
"""

import json
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography import x509
from oauthlib.oauth2 import RequestValidator, Server

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class Client:
    def __init__(self, client_id, secret=None, cert_pem=None, public=False, redirect_uris=(), scopes=()):
        self.client_id = client_id
        self.secret = secret
        self.cert_pem = cert_pem
        self.public = public
        self.redirect_uris = list(redirect_uris)
        self.scopes = list(scopes)


class TokenStore:
    """Issued tokens, shared with the SMTP server (thread-safe)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.access = {}    # token -> {"client_id", "user", "scopes", "expires"}
        self.refresh = {}   # token -> {"client_id", "user", "scopes"}
        self.codes = {}     # code -> {...}
        self.requests = []  # (grant_type, client_id, ok)

    def validate(self, token, user):
        """(ok, why) for an access token presented by `user` at the SMTP server."""
        with self.lock:
            t = self.access.get(token)
            if not t:
                return False, "unknown or revoked token"
            if time.time() >= t["expires"]:
                return False, "token expired"
            if t["user"] and user and t["user"].lower() != user.lower():
                return False, "token was issued for %s" % t["user"]
            return True, "ok"

    def revoke_all_access(self):
        with self.lock:
            self.access.clear()

    def count(self, grant_type=None, ok=None):
        with self.lock:
            return sum(1 for g, _, good in self.requests
                       if (grant_type is None or g == grant_type) and (ok is None or good == ok))


class Validator(RequestValidator):
    def __init__(self, server):
        self.srv = server

    # -- clients
    def client_authentication_required(self, request, *args, **kwargs):
        c = self.srv.clients.get(request.client_id or "")
        return not (c and c.public)

    def authenticate_client(self, request, *args, **kwargs):
        if getattr(request, "client_assertion_type", None) == ASSERTION_TYPE:
            return self._authenticate_assertion(request)
        c = self.srv.clients.get(request.client_id or "")
        if not c or not c.secret or request.client_secret != c.secret:
            self.srv.last_failure = "invalid client secret"
            return False
        request.client = c
        return True

    def _authenticate_assertion(self, request):
        assertion = request.client_assertion
        try:
            unverified = jwt.get_unverified_header(assertion)
            claims_peek = jwt.decode(assertion, options={"verify_signature": False})
            c = self.srv.clients.get(claims_peek.get("iss", ""))
            if not c or not c.cert_pem:
                raise ValueError("no certificate registered for %r" % claims_peek.get("iss"))
            cert = x509.load_pem_x509_certificate(c.cert_pem)
            claims = jwt.decode(assertion, cert.public_key(), algorithms=["RS256", "PS256"],
                                audience=self.srv.token_url(), options={"require": ["exp", "iss", "sub", "aud", "jti"]})
            if claims["iss"] != c.client_id or claims["sub"] != c.client_id:
                raise ValueError("iss/sub is not the client id")
            if "x5t#S256" not in unverified:
                raise ValueError("no x5t#S256 header")
            self.srv.assertions.append({"header": unverified, "claims": claims})
        except Exception as e:  # noqa: BLE001 - any verification failure means: not authenticated
            self.srv.last_failure = "client assertion rejected: %s" % e
            return False
        request.client = c
        request.client_id = c.client_id
        return True

    def authenticate_client_id(self, client_id, request, *args, **kwargs):
        c = self.srv.clients.get(client_id or "")
        if c and c.public:
            request.client = c
            return True
        return False

    def validate_client_id(self, client_id, request, *args, **kwargs):
        return client_id in self.srv.clients

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        return True

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        allowed = self.srv.clients[client_id].scopes if client_id in self.srv.clients else []
        return all(s in allowed for s in scopes)

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        return self.srv.clients[client_id].scopes[:1]

    # -- tokens
    def save_bearer_token(self, token, request, *args, **kwargs):
        user = getattr(request, "user", None) or self.srv.client_mailbox.get(request.client_id)
        with self.srv.store.lock:
            self.srv.store.access[token["access_token"]] = {
                "client_id": request.client_id, "user": user, "scopes": list(request.scopes or []),
                "expires": time.time() + token["expires_in"]}
            if "refresh_token" in token:
                self.srv.store.refresh[token["refresh_token"]] = {
                    "client_id": request.client_id, "user": user, "scopes": list(request.scopes or [])}

    # -- authorization code + PKCE
    def validate_redirect_uri(self, client_id, redirect_uri, request, *args, **kwargs):
        return True  # a native app's loopback redirect: any port on 127.0.0.1 (RFC 8252 7.3)

    def get_default_redirect_uri(self, client_id, request, *args, **kwargs):
        return None

    def validate_response_type(self, client_id, response_type, client, request, *args, **kwargs):
        return response_type == "code"

    def is_pkce_required(self, client_id, request):
        return True

    def save_authorization_code(self, client_id, code, request, *args, **kwargs):
        with self.srv.store.lock:
            self.srv.store.codes[code["code"]] = {
                "client_id": client_id, "redirect_uri": request.redirect_uri, "scopes": list(request.scopes),
                "user": self.srv.signed_in_user, "challenge": request.code_challenge,
                "method": request.code_challenge_method}

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        with self.srv.store.lock:
            c = self.srv.store.codes.get(code)
        if not c or c["client_id"] != client_id:
            return False
        request.scopes = c["scopes"]
        request.user = c["user"]
        return True

    def get_code_challenge(self, code, request):
        return self.srv.store.codes.get(code, {}).get("challenge")

    def get_code_challenge_method(self, code, request):
        return self.srv.store.codes.get(code, {}).get("method")

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, request, *args, **kwargs):
        return self.srv.store.codes.get(code, {}).get("redirect_uri") == redirect_uri

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        with self.srv.store.lock:
            self.srv.store.codes.pop(code, None)

    # -- refresh
    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        with self.srv.store.lock:
            r = self.srv.store.refresh.get(refresh_token)
        if not r or r["client_id"] != client.client_id:
            return False
        request.user = r["user"]
        return True

    def get_original_scopes(self, refresh_token, request, *args, **kwargs):
        return self.srv.store.refresh.get(refresh_token, {}).get("scopes", [])

    def rotate_refresh_token(self, request):
        return True

    def revoke_token(self, token, token_type_hint, request, *args, **kwargs):
        pass


class TokenServer:
    def __init__(self):
        self.store = TokenStore()
        self.clients = {}
        self.client_mailbox = {}   # client_id -> the mailbox its app tokens may send as
        self.signed_in_user = None  # who "signs in" at /authorize
        self.assertions = []
        self.mode = "ok"
        self.expires_in = 3600
        self.slow_s = 0
        self.last_failure = ""
        self.oauth = Server(Validator(self), token_expires_in=lambda request: self.expires_in)
        self.httpd = None
        self.port = None

    def add_client(self, client, mailbox=None):
        self.clients[client.client_id] = client
        if mailbox:
            self.client_mailbox[client.client_id] = mailbox

    def token_url(self):
        return "http://127.0.0.1:%d/token" % self.port

    def authorize_url(self):
        return "http://127.0.0.1:%d/authorize" % self.port

    def start(self, port=0):
        srv = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status, headers, body):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                data = body.encode() if isinstance(body, str) else (body or b"")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path.startswith("/authorize"):
                    url = "http://127.0.0.1%s" % self.path
                    scopes, info = srv.oauth.validate_authorization_request(url, "GET")
                    headers, body, status = srv.oauth.create_authorization_response(url, "GET", None, None, scopes)
                    self._reply(status, headers, body)
                else:
                    self._reply(404, {}, "")

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                if self.path != "/token":
                    self._reply(404, {}, "")
                    return
                form = urllib.parse.parse_qs(body)
                grant = form.get("grant_type", [""])[0]
                client_id = form.get("client_id", [""])[0]
                if srv.mode == "slow":
                    time.sleep(srv.slow_s)
                if srv.mode == "500":
                    srv.store.requests.append((grant, client_id, False))
                    self._reply(500, {"Content-Type": "text/html"}, "<html>internal error</html>")
                    return
                if srv.mode == "invalid_client":
                    srv.store.requests.append((grant, client_id, False))
                    self._reply(401, {"Content-Type": "application/json"}, json.dumps({
                        "error": "invalid_client",
                        "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret "
                                             "being sent in the request is the client secret value, not the "
                                             "client secret ID. Trace ID: %s" % uuid.uuid4()}))
                    return
                headers, out, status = srv.oauth.create_token_response(
                    "http://127.0.0.1:%d/token" % srv.port, "POST", body,
                    {"Content-Type": "application/x-www-form-urlencoded"})
                srv.store.requests.append((grant, client_id, status == 200))
                self._reply(status, headers, out)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None
