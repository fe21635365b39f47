#pragma once
// The MTA-STS TXT record at "_mta-sts.<domain>" (RFC 8461 section 3.1):
// "v=STSv1; id=20160831085700Z;". Pure parsing, no I/O, any thread.

#include <QByteArray>
#include <QList>
#include <QString>

namespace rd::mtasts {

struct StsRecord {
    QByteArray id; // 1..32 letters/digits; a change means "fetch the policy again"
};

struct StsRecordResult {
    enum class Status {
        Ok,      // exactly one valid STSv1 record
        None,    // no record starting with "v=STSv1": the domain has no MTA-STS
        Invalid, // one or more STSv1 records, but not exactly one valid one (3.1: treat as none)
    };
    Status status = Status::None;
    StsRecord record;
    QString error; // why Invalid (for the log)
};

// Parses one TXT record's text (its strings joined). Returns false with
// *error when it is not a valid STSv1 record (wrong version first, missing
// or bad id, bad field syntax). Unknown fields are ignored.
bool parseStsRecord(const QByteArray &text, StsRecord *out, QString *error);

// Applies RFC 8461 3.1 to all TXT records of the name: records not starting
// with "v=STSv1;" are discarded; if the rest is not exactly one valid record,
// the result is Invalid (callers treat it like None but may log it).
StsRecordResult selectStsRecord(const QList<QByteArray> &txtTexts);

} // namespace rd::mtasts
