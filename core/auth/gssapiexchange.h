#pragma once
// Server side of the SASL GSSAPI mechanism (RFC 4752) with Kerberos V5: a pure
// state machine over raw tokens. No sockets, no base64 (the SMTP session
// decodes the client's lines and encodes the challenges for "334 "), no
// threads: QtCore and the system's GSS-API (MIT Kerberos, pkg-config
// krb5-gssapi) only.
//
// Flow (RFC 4752 section 3.1), one step() per client response:
//   1. Tokens go to gss_accept_sec_context until the security context is
//      established; each output token is a Continue challenge.
//   2. If the establishing call also produced a token (the AP-REP of mutual
//      authentication), that is one more Continue and the client's next
//      response must be empty.
//   3. The server sends GSS_Wrap (integrity only) of 4 octets: security
//      layers offered = 0x01 (no security layer, the only one we offer: the
//      SMTP session runs over TLS, not over a SASL layer), max size 0.
//   4. The client's reply is unwrapped: octet 0 must select exactly 0x01,
//      octets 1-3 (its max size) do not matter without a layer, the rest is the
//      authorization identity (UTF-8, may be empty). -> Done.
//
// Security properties:
// - Only the Kerberos V5 mechanism is accepted (the acceptor credential is
//   acquired for gss_mech_krb5 alone, and the established context's mech is
//   checked again): no SPNEGO/NTLM fallback, no anonymous principals.
// - The keytab is named per exchange through gss_acquire_cred_from's
//   cred_store ({"keytab", path}), never through KRB5_KTNAME or any other
//   process-wide setting, so exchanges for different configurations may run
//   side by side in one process.
// - Replays of a client's first token (the AP-REQ) are refused by the
//   acceptor's replay cache whatever flags the client asked for;
//   GSS_C_REPLAY_FLAG/GSS_C_SEQUENCE_FLAG only concern per-message tokens,
//   of which the mechanism uses one each way, bound to this context's keys.
//   Mutual authentication (GSS_C_MUTUAL_FLAG) protects the client only; RFC
//   4752 has the client ask for it, the server does not need to insist.
// - Credentials the client delegates (GSS_C_DELEG_FLAG) are never kept: they
//   are released at once. A relay has no business acting as the user.
// - Tokens are never logged or put into error texts. Errors carry GSS-API's
//   own major/minor status texts (principal names, keytab paths, key
//   versions), which hold no secrets.
// - With an empty servicePrincipal, a ticket for ANY principal whose key is
//   in the keytab is accepted: give the relay a keytab of its own (only
//   smtp/<host>), or name the principal.
// - Done means: the client proved it holds a ticket for `principal`. The
//   caller still decides whether that principal may log in at all (realm,
//   user mapping) and, when authzid is not empty, whether it may act as
//   authzid (RFC 4752: "the server verifies that the src_name is authorized
//   to authenticate as the authorization identity").
//
// An exchange is single use: after Done or Failed every step() is Failed.
// Thread: one exchange is used from one thread at a time (GSS-API's error
// texts are per thread); separate exchanges may run in different threads.

#include <QByteArray>
#include <QString>

#include <memory>

namespace rd::auth {

struct GssapiStep {
    enum Kind {
        Continue, // send `challenge` (raw; base64 it for "334 ") and call step() with the response
        Done,     // authenticated: `principal`, `authzid`
        Failed,   // refuse (535); `error` is for the log
    };
    Kind kind = Failed;
    QByteArray challenge;     // Continue: raw token for the client (never empty)
    QString principal;        // Done: the client's Kerberos principal, e.g. alice@EXAMPLE.TEST
    QString authzid;          // Done: the authorization identity the client asked for; empty = none
    QString servicePrincipal; // Done: the service principal the client's ticket was for
    QString error;            // Failed: what went wrong, for the log; never a token or a secret
};

class GssapiExchange {
public:
    // keytab: path of the keytab holding the key of smtp/<host>@REALM (a
    // "FILE:" prefix is allowed). servicePrincipal: the acceptor name, either a
    // Kerberos principal "smtp/mail.example.test@EXAMPLE.TEST" (anything with
    // a '/'; the realm may be left out for the default realm) or a host-based
    // service name "smtp@mail.example.test"; empty = any key in the keytab.
    // Nothing is read until the first step().
    GssapiExchange(const QString &keytab, const QString &servicePrincipal);
    ~GssapiExchange(); // releases every GSS-API object (context, names, credentials)

    GssapiExchange(const GssapiExchange &) = delete;
    GssapiExchange &operator=(const GssapiExchange &) = delete;

    // The client's next response, raw (already base64-decoded). The first
    // call takes the initial response; it must not be empty (a session whose
    // AUTH GSSAPI line had no initial response first sends an empty "334 "
    // and passes the client's answer here).
    GssapiStep step(const QByteArray &clientToken);

    // True once step() returned Done or Failed.
    bool finished() const;

    // Upper bound for one client token (Kerberos tickets with a large PAC can
    // be tens of KiB; Windows allows 48000 bytes by default).
    static constexpr qsizetype kMaxTokenSize = 64 * 1024;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

// Startup check of the GSSAPI settings: empty when an acceptor credential for
// `servicePrincipal` (empty = any key) can be acquired from `keytab`, else one
// clear sentence for the log/settings page (file missing or unreadable, not a
// keytab, no key for that principal, ...). It cannot tell whether the key in
// the keytab is still the KDC's current one: only a client's ticket shows that.
// Call it at startup and whenever the settings change, and advertise AUTH
// GSSAPI only while it returns empty: besides the clearer message, MIT
// Kerberos 1.20 leaks ~100 bytes inside every failed gss_acquire_cred_from()
// for a named principal, so a broken keytab must not be retried per connection.
QString gssapiKeytabProblem(const QString &keytab, const QString &servicePrincipal);

} // namespace rd::auth
