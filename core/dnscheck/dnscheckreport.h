#pragma once
// The result of one run of the DNS checks for a sending domain: findings with
// a status, a plain-English explanation and, where something is missing or
// wrong, the exact record to publish. A value type; JSON for storage
// (log.db table dns_checks) and for the exported report.

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>

namespace rd::dnscheck {

enum class Status { Pass, Info, Warn, Fail };
QString statusName(Status s);                 // "pass", "info", "warn", "fail"
Status statusFromName(const QString &name);   // unknown -> Info

struct Finding {
    QString check;      // "spf", "dkim", "dmarc", "mx", "ptr", "dnsbl"
    Status status = Status::Info;
    QString title;      // one line: "SPF authorises 192.0.2.10"
    QString detail;     // what was found and why it matters
    QString fixName;    // where to publish the fix ("example.com", "_dmarc.example.com"); may be empty
    QString fixType;    // "TXT", "PTR", "MX" ...; empty when there is no record to publish
    QString fixValue;   // the exact record value to publish; empty when nothing to publish

    bool operator==(const Finding &) const = default;
};

struct Report {
    qint64 id = 0;      // log.db row id; 0 when not stored
    QString domain;
    QDateTime when;     // UTC, when the run started
    qint64 durationMs = 0;
    QList<Finding> findings;

    Status worst() const;
    int count(Status s) const;
    QJsonObject toJson() const;
    static Report fromJson(const QJsonObject &o);
    // A plain-text report for export (what was checked, findings, fixes).
    QString toText() const;
    // Findings whose status differs from `previous` (same check and title
    // prefix), as "was warn, now pass" lines; empty when nothing changed.
    QStringList changesSince(const Report &previous) const;
};

} // namespace rd::dnscheck

Q_DECLARE_METATYPE(rd::dnscheck::Report)
