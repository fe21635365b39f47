#pragma once
// What one MX connection must prove about TLS, decided before connecting
// (from the recipient domain's MTA-STS policy, RFC 8461, or its validated
// TLSA records, RFC 7672), and what the connection found (for the log and
// TLS-RPT, RFC 8460). Plain values, no I/O. MX routing only: smart hosts use
// their connector's TLS settings.

#include "dane/tlsa.h"

#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace rd::delivery {

struct MxTlsPolicy {
    enum class Kind {
        Opportunistic, // no policy: STARTTLS when offered, certificate not checked (as before)
        MtaSts,        // RFC 8461: STARTTLS, certificate chains to a trusted CA and names the MX
        Dane,          // RFC 7672: STARTTLS, the chain matches a validated TLSA record
    };
    Kind kind = Kind::Opportunistic;
    QString domain;       // the recipient domain (TLS-RPT policy-domain)
    QString mxHost;       // the MX name the certificate must match
    bool testing = false; // MTA-STS mode testing: failures are logged and reported, mail is delivered
    QString caFile;       // MtaSts: PEM bundle instead of the system store (tests); empty: system
    QList<dane::TlsaRecord> tlsa; // Dane: the usable records of the validated TLSA RRset
    QStringList policyStrings;    // TLS-RPT policy-string (policy file lines or TLSA records)

    // Failures defer the mail (enforce / DANE), rather than being only reported.
    bool enforced() const { return kind != Kind::Opportunistic && !testing; }
    // "sts", "tlsa", "no-policy-found" (TLS-RPT policy-type).
    QString policyType() const
    {
        switch (kind) {
        case Kind::MtaSts: return QStringLiteral("sts");
        case Kind::Dane: return QStringLiteral("tlsa");
        case Kind::Opportunistic: break;
        }
        return QStringLiteral("no-policy-found");
    }
};

// The outcome of TLS on one connection (one TLS-RPT session).
struct TlsCheck {
    MxTlsPolicy policy;
    QString peerAddress;  // receiving-ip
    bool success = false;
    QString resultType;   // RFC 8460 4.3 result type when !success ("starttls-not-supported", ...)
    QString detail;       // human text
};

} // namespace rd::delivery

Q_DECLARE_METATYPE(rd::delivery::TlsCheck)
