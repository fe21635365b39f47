#pragma once
// The DKIM-Signature header field (RFC 6376 3.5): parsed and checked, and the
// header data its signature covers (RFC 6376 3.7). Pure; any thread.

#include "mailauth/dkimcanon.h"
#include "mailauth/dkimtags.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace rd::mailauth {

struct DkimSignatureFields {
    QByteArray algorithm;            // a=: "rsa-sha256" or "ed25519-sha256"
    DkimCanon headerCanon = DkimCanon::Simple; // c= (default simple/simple)
    DkimCanon bodyCanon = DkimCanon::Simple;
    QByteArray domain;               // d=
    QByteArray selector;             // s=
    QList<QByteArray> headers;       // h=, as written
    QByteArray bodyHash;             // bh=, decoded
    QByteArray signature;            // b=, decoded
    QByteArray signatureBase64;      // b= without whitespace (for header.b)
    QByteArray identity;             // i= (default "@" + d=)
    qint64 bodyLength = -1;          // l= (-1: whole body)
    qint64 timestamp = -1;           // t= (-1: none)
    qint64 expiration = -1;          // x= (-1: none)
    qsizetype bValueStart = 0;       // in the field's raw bytes: the b= value ...
    qsizetype bValueEnd = 0;         // ... with its surrounding whitespace

    // "<selector>._domainkey.<domain>", the key record's name.
    QString keyName() const;
    // The domain of i= (after the '@').
    QByteArray identityDomain() const;
};

// Parses and checks one DKIM-Signature field. nullopt and *error (for a
// permerror) when: the tag list is malformed; v=, a=, b=, bh=, d=, h= or s=
// is missing; v is not 1; the algorithm is unknown or rsa-sha1 (RFC 8301);
// c=, l=, t=, x= or q= is invalid; h= does not list From; i= is not in d=
// or a subdomain of it; x= is before t=.
std::optional<DkimSignatureFields> parseDkimSignature(const DkimHeaderField &field, QString *error = nullptr);

// The data the signature is computed over (RFC 6376 3.7): the header fields
// selected by h= (bottom-up), canonicalised, then the signature field itself
// with the b= value removed, canonicalised, without its final CRLF.
QByteArray dkimHeaderData(const DkimMessage &message, const QList<QByteArray> &headerNames,
                          const DkimHeaderField &signatureField, qsizetype bValueStart, qsizetype bValueEnd,
                          DkimCanon canon);

// The canonical body hash (SHA-256) of `message`'s body, limited to the
// first `length` octets of the canonical body when length >= 0. nullopt when
// length is larger than the canonical body.
std::optional<QByteArray> dkimBodyHash(const QByteArray &body, DkimCanon canon, qint64 length = -1);

} // namespace rd::mailauth
