#pragma once
// Pure decoding of the SASL messages AUTH PLAIN (RFC 4616) and AUTH LOGIN
// carry in SMTP (RFC 4954). No state, no I/O. The decoded password is the
// caller's to protect: never log it.

#include <QByteArray>
#include <QByteArrayView>
#include <optional>

namespace rd::smtp {

struct SaslCredentials {
    QByteArray authzid;  // authorization identity (PLAIN only; usually empty)
    QByteArray user;     // authentication identity
    QByteArray password;
};

// Strict base64 (RFC 4648, padding required, no whitespace); nullopt if invalid.
// "=" alone is the empty string (RFC 4954 4).
std::optional<QByteArray> decodeSaslBase64(QByteArrayView text);

// authzid NUL authcid NUL passwd (RFC 4616 2): each part UTF-8 without NUL,
// authcid and passwd non-empty, each at most 255 octets. nullopt otherwise.
std::optional<SaslCredentials> parsePlain(QByteArrayView decoded);

// A response line of "*" cancels the exchange (RFC 4954 4).
inline bool isSaslCancel(QByteArrayView line)
{
    return line == "*";
}

} // namespace rd::smtp
