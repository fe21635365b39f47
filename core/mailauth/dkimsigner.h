#pragma once
// DKIM signing (RFC 6376 5, RFC 8463): the DKIM-Signature field for a
// message. Pure apart from reading the clock when no timestamp is given; any
// thread.

#include "mailauth/dkimkey.h"

#include <QByteArray>
#include <QByteArrayList>
#include <QString>

namespace rd::mailauth {

struct DkimSignOptions {
    // From, To, Cc, Subject, Date, Message-ID, Reply-To, In-Reply-To,
    // References, MIME-Version, Content-Type, Content-Transfer-Encoding,
    // List-Unsubscribe.
    static QByteArrayList defaultHeaders();

    QString domain;   // d=
    QString selector; // s=
    // Header names to sign. Only those present are listed (each as often as it
    // occurs), except From, To and Subject, which are listed once more than
    // present (oversigned: none can be added later). From is always signed.
    QByteArrayList headers = defaultHeaders();
    bool relaxedHeaders = true; // c=relaxed/relaxed by default
    bool relaxedBody = true;
    qint64 timestamp = -1;      // t= (-1: now)
    qint64 expireAfterS = 0;    // x= = t= + this (0: no x=)
    QString identity;           // i= (empty: none, which means "@" + d=)
    // RSA keys smaller than this are refused. RFC 8301 allows 1024 (tests set
    // it to reproduce old vectors); the product signs with 2048 and up.
    int minRsaBits = 2048;
};

// Signs a message (header fields, CRLF CRLF, body; CRLF line ends, as on
// the wire but not dot-stuffed). Returns the complete "DKIM-Signature: ...
// \r\n" field, folded into lines under 78 columns, to put at the very top.
// Empty and *error when: no From header, no key or a key too small, domain or
// selector missing or not a DNS name, i= outside d=.
QByteArray dkimSign(const QByteArray &message, const DkimKey &key, const DkimSignOptions &opt,
                    QString *error = nullptr);

} // namespace rd::mailauth
