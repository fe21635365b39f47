#include "acme/acmerecords.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace rd::acme {
namespace {

bool exec(QSqlQuery &q, QString *error)
{
    if (q.exec())
        return true;
    if (error)
        *error = q.lastError().text();
    return false;
}

QDateTime fromSecs(qint64 s)
{
    return s > 0 ? QDateTime::fromSecsSinceEpoch(s, Qt::UTC) : QDateTime();
}

qint64 toSecs(const QDateTime &t)
{
    return t.isValid() ? t.toSecsSinceEpoch() : 0;
}

} // namespace

bool saveAccount(QSqlDatabase &db, const AcmeAccount &account, QString *error)
{
    QSqlQuery q(db);
    q.prepare(QStringLiteral("INSERT OR REPLACE INTO acme_accounts (directory_url, key_pem, account_url, email, created)"
                             " VALUES (?, ?, ?, ?, ?)"));
    q.addBindValue(account.directoryUrl);
    q.addBindValue(QString::fromLatin1(account.keyPem));
    q.addBindValue(account.accountUrl);
    q.addBindValue(account.email.isNull() ? QStringLiteral("") : account.email);
    q.addBindValue(QDateTime::currentSecsSinceEpoch());
    return exec(q, error);
}

std::optional<AcmeAccount> loadAccount(QSqlDatabase &db, const QString &directoryUrl, QString *error)
{
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT key_pem, account_url, email FROM acme_accounts WHERE directory_url = ?"));
    q.addBindValue(directoryUrl);
    if (!exec(q, error) || !q.next())
        return std::nullopt;
    return AcmeAccount{directoryUrl, q.value(0).toString().toLatin1(), q.value(1).toString(), q.value(2).toString()};
}

bool saveCertificateRecord(QSqlDatabase &db, const AcmeCertificateRecord &r, QString *error)
{
    QSqlQuery q(db);
    q.prepare(QStringLiteral("INSERT OR REPLACE INTO acme_certificates (certificate_id, names, challenge, directory_url,"
                             " status, last_error, last_attempt, renew_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    q.addBindValue(r.certificateId);
    q.addBindValue(r.names.join(QLatin1Char(' ')));
    q.addBindValue(r.challenge.isNull() ? QStringLiteral("") : r.challenge);
    q.addBindValue(r.directoryUrl.isNull() ? QStringLiteral("") : r.directoryUrl);
    q.addBindValue(r.status.isNull() ? QStringLiteral("") : r.status);
    q.addBindValue(r.lastError.isNull() ? QStringLiteral("") : r.lastError);
    q.addBindValue(toSecs(r.lastAttempt));
    q.addBindValue(toSecs(r.renewAfter));
    return exec(q, error);
}

bool removeCertificateRecord(QSqlDatabase &db, const QString &certificateId, QString *error)
{
    QSqlQuery q(db);
    q.prepare(QStringLiteral("DELETE FROM acme_certificates WHERE certificate_id = ?"));
    q.addBindValue(certificateId);
    return exec(q, error);
}

QList<AcmeCertificateRecord> loadCertificateRecords(QSqlDatabase &db, QString *error)
{
    QList<AcmeCertificateRecord> out;
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT certificate_id, names, challenge, directory_url, status, last_error, last_attempt,"
                             " renew_after FROM acme_certificates ORDER BY certificate_id"));
    if (!exec(q, error))
        return out;
    while (q.next()) {
        AcmeCertificateRecord r;
        r.certificateId = q.value(0).toString();
        r.names = q.value(1).toString().split(QLatin1Char(' '), Qt::SkipEmptyParts);
        r.challenge = q.value(2).toString();
        r.directoryUrl = q.value(3).toString();
        r.status = q.value(4).toString();
        r.lastError = q.value(5).toString();
        r.lastAttempt = fromSecs(q.value(6).toLongLong());
        r.renewAfter = fromSecs(q.value(7).toLongLong());
        out << r;
    }
    return out;
}

} // namespace rd::acme
