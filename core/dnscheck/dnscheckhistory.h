#pragma once
// Stored DNS check reports: the dns_checks table of log.db (schema v2).
// The engine appends a report after each run; the DNS checks panel reads the
// history through its own connection (WAL: readers never block the writer).
//
// Thread: an instance owns its connection and belongs to the thread that
// created it. Reads are small (one row per run; a few hundred per domain at
// most: older runs are pruned when a report is stored).

#include "dnscheck/dnscheckreport.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace rd::dnscheck {

class DnsCheckHistory {
public:
    explicit DnsCheckHistory(const QString &dataDir);
    ~DnsCheckHistory();
    DnsCheckHistory(const DnsCheckHistory &) = delete;
    DnsCheckHistory &operator=(const DnsCheckHistory &) = delete;

    bool isOpen() const { return m_open; }
    QString errorString() const { return m_error; }

    // Stores a report (sets report->id); keeps the newest `keepPerDomain` runs of its domain.
    bool store(Report *report, QString *error, int keepPerDomain = 200);
    // The newest runs of `domain`, newest first (at most `limit`).
    QList<Report> history(const QString &domain, int limit = 50, QString *error = nullptr) const;
    // Domains with at least one stored run, sorted.
    QStringList domains(QString *error = nullptr) const;

private:
    QString m_connection;
    QString m_error;
    bool m_open = false;
};

} // namespace rd::dnscheck
