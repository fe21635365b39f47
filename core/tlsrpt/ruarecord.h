#pragma once
// The TLS-RPT TXT record at "_smtp._tls.<domain>" (RFC 8460 section 3):
// "v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://reports.example.com/x".
// Pure parsing, any thread.

#include <QByteArray>
#include <QList>
#include <QString>
#include <QUrl>

namespace rd::tlsrpt {

struct RuaRecord {
    QList<QUrl> rua; // mailto: and https: URIs, in record order
    // The mailto addresses (percent-decoded, without "mailto:"), for sending through the queue.
    QStringList mailtoAddresses() const;
};

// Parses one record's text. false with *error when it is not a valid
// TLSRPTv1 record (version not first, no rua, a URI that is neither mailto:
// nor https:). Unknown extension fields are ignored.
bool parseRuaRecord(const QByteArray &text, RuaRecord *out, QString *error = nullptr);

// Among all TXT texts of the name: records not starting "v=TLSRPTv1" are
// ignored; exactly one must remain and parse, else false (no reports).
bool selectRuaRecord(const QList<QByteArray> &texts, RuaRecord *out, QString *error = nullptr);

} // namespace rd::tlsrpt
