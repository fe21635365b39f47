#include "dnscheck/dnscheckhistory.h"

#include "storage/database.h"

#include <QJsonDocument>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace rd::dnscheck {

DnsCheckHistory::DnsCheckHistory(const QString &dataDir)
    : m_connection(storage::uniqueConnectionName(QStringLiteral("dnschecks")))
{
    QSqlDatabase db = storage::openDatabase(dataDir, storage::DbKind::Log, m_connection, {}, &m_error);
    m_open = db.isValid() && db.isOpen();
}

DnsCheckHistory::~DnsCheckHistory()
{
    storage::closeDatabase(m_connection);
}

bool DnsCheckHistory::store(Report *report, QString *error, int keepPerDomain)
{
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    QSqlQuery q(db);
    q.prepare(QStringLiteral("INSERT INTO dns_checks (domain, ts, worst, report) VALUES (?, ?, ?, ?)"));
    q.addBindValue(report->domain.toLower());
    q.addBindValue(report->when.toMSecsSinceEpoch());
    q.addBindValue(statusName(report->worst()));
    q.addBindValue(QString::fromUtf8(QJsonDocument(report->toJson()).toJson(QJsonDocument::Compact)));
    if (!q.exec()) {
        if (error)
            *error = QStringLiteral("cannot store the DNS check report: %1").arg(q.lastError().text());
        return false;
    }
    report->id = q.lastInsertId().toLongLong();
    QSqlQuery prune(db);
    prune.prepare(QStringLiteral("DELETE FROM dns_checks WHERE domain = ? AND id NOT IN"
                                 " (SELECT id FROM dns_checks WHERE domain = ? ORDER BY ts DESC, id DESC LIMIT ?)"));
    prune.addBindValue(report->domain.toLower());
    prune.addBindValue(report->domain.toLower());
    prune.addBindValue(keepPerDomain);
    prune.exec();
    return true;
}

QList<Report> DnsCheckHistory::history(const QString &domain, int limit, QString *error) const
{
    QList<Report> out;
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT id, report FROM dns_checks WHERE domain = ? ORDER BY ts DESC, id DESC LIMIT ?"));
    q.addBindValue(domain.toLower());
    q.addBindValue(limit);
    if (!q.exec()) {
        if (error)
            *error = q.lastError().text();
        return out;
    }
    while (q.next()) {
        const QJsonDocument doc = QJsonDocument::fromJson(q.value(1).toString().toUtf8());
        if (!doc.isObject())
            continue; // a damaged row is skipped, not fatal
        Report r = Report::fromJson(doc.object());
        r.id = q.value(0).toLongLong();
        out << r;
    }
    return out;
}

QStringList DnsCheckHistory::domains(QString *error) const
{
    QStringList out;
    QSqlQuery q(QSqlDatabase::database(m_connection));
    if (!q.exec(QStringLiteral("SELECT DISTINCT domain FROM dns_checks ORDER BY domain"))) {
        if (error)
            *error = q.lastError().text();
        return out;
    }
    while (q.next())
        out << q.value(0).toString();
    return out;
}

} // namespace rd::dnscheck
