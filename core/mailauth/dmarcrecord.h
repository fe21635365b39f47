#pragma once
// DMARC policy records (RFC 7489 6.3, 6.4, 6.6.3): a pure parser that gives
// the effective values a receiver applies, plus the findings a record
// checker shows to an admin. No I/O; any thread.

#include <QChar>
#include <QString>
#include <QStringList>

namespace rd::mailauth {

struct DmarcRecord {
    bool applies = false; // a receiver uses this record
    QString error;        // why it does not apply (empty if it applies)

    // Effective values after defaults (RFC 7489 6.3). p and sp are lower case
    // "none" / "quarantine" / "reject"; sp defaults to p. Tags with invalid
    // values are ignored (their default is used) and reported in warnings.
    QString p, sp;
    int pct = 100;
    QChar adkim = QLatin1Char('r'), aspf = QLatin1Char('r');
    QString fo = QStringLiteral("0");      // colon list of 0, 1, d, s ("1:d")
    QStringList rua, ruf;                  // syntactically valid URIs, as written ("mailto:a@b!10m")
    QString rf = QStringLiteral("afrf");   // colon list of report formats
    int ri = 86400;                        // seconds (uint32 in the RFC; clamped to INT_MAX)

    // Findings for the admin, machine codes, in the order found. Codes:
    // policy-none, no-rua, pct-below-100, missing-p, invalid-p, invalid-sp,
    // invalid-pct, invalid-adkim, invalid-aspf, invalid-fo, invalid-rf,
    // invalid-ri, invalid-rua, invalid-ruf, rua-not-mailto, ruf-not-mailto,
    // duplicate-tag, syntax-error.
    QStringList warnings;
    QStringList warningTexts; // plain English, parallel to warnings
};

// Parses the TXT value published at _dmarc.<domain> (the character-strings
// already joined). Never fails hard: a text that is not a usable DMARC
// record gives applies = false and an error sentence. Tag names are matched
// case-insensitively, p/sp/adkim/aspf values too; "v=DMARC1" must be the
// first tag and is matched exactly. Whitespace around ';' and '=' is allowed.
// Without a valid p but with a valid rua the record applies as p=none
// (RFC 7489 6.6.3). A duplicated tag keeps its first value.
DmarcRecord parseDmarcRecord(const QString &txt);

// Whether a TXT value is meant as a DMARC record: its first tag is
// v=DMARC1 (RFC 7489 6.6.3 step 3 discards every other TXT record).
bool isDmarcRecordText(const QString &txt);

} // namespace rd::mailauth
