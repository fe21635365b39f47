#pragma once
// TLS-RPT aggregate reports (RFC 8460 section 4): the JSON of one policy
// domain's day from tls_results rows, gzip, the file name and the report
// mail (section 5.3, application/tlsrpt+gzip) the engine queues for each
// mailto: rua. Pure except loadRows()/reportDomains() (SQL on the caller's
// connection: run them off the GUI thread).

#include "tlsrpt/resultwriter.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QString>

class QSqlDatabase;

namespace rd::tlsrpt {

struct ReportMeta {
    QString organization;  // organization-name
    QString contact;       // contact-info (an address)
    QString reportId;      // report-id: unique per report
    QString policyDomain;  // the recipient domain reported on
    QDateTime start;       // date-range (UTC), inclusive start
    QDateTime end;         // exclusive end (written as end - 1 s, like the RFC example)
};

// The report JSON (RFC 8460 4.4): one entry in "policies" per distinct
// (policy type, policy string), with summary counts and failure-details
// grouped by result type, receiving IP and MX host. Rows of other domains are
// ignored. Compact UTF-8 JSON.
QByteArray buildReportJson(const QList<ResultRow> &rows, const ReportMeta &meta);

// gzip (RFC 1952) without zlib: Qt's deflate with a gzip header and CRC-32.
QByteArray gzip(const QByteArray &data);

// RFC 8460 5.3: "<submitter>!<policy-domain>!<begin>!<end>!<id>.json.gz"
// (begin/end as seconds since the epoch).
QString reportFileName(const QString &submitter, const ReportMeta &meta);

// A complete RFC 5322 message (CRLF) carrying the gzipped report as
// application/tlsrpt+gzip, with TLS-Report-Domain and TLS-Report-Submitter
// header fields (5.3). `messageIdDomain` names the Message-ID's right side.
QByteArray buildReportMail(const QString &from, const QString &to, const QString &submitter, const ReportMeta &meta,
                           const QByteArray &gzippedJson, const QString &messageIdDomain);

// Rows of `domain` with start <= ts < end (ms since the epoch).
QList<ResultRow> loadRows(QSqlDatabase &db, const QString &domain, qint64 startMs, qint64 endMs,
                          QString *error = nullptr);
// Domains with rows in [start, end).
QStringList reportDomains(QSqlDatabase &db, qint64 startMs, qint64 endMs, QString *error = nullptr);

} // namespace rd::tlsrpt
