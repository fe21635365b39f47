#include "acme/acmerenewal.h"

#include <algorithm>

namespace rd::acme {

QDateTime renewalTime(const QDateTime &notBefore, const QDateTime &notAfter)
{
    const qint64 lifetime = notBefore.secsTo(notAfter);
    return notBefore.addSecs(std::max<qint64>(0, lifetime) * 2 / 3).toUTC();
}

qint64 backoffSeconds(int failures)
{
    if (failures <= 0)
        return 0;
    const qint64 cap = 12 * 3600;
    qint64 s = 300;
    for (int i = 1; i < failures && s < cap; ++i)
        s *= 2;
    return std::min(s, cap);
}

AcmeRenewalScheduler::AcmeRenewalScheduler(QObject *parent) : QObject(parent)
{
    connect(&m_timer, &QTimer::timeout, this, &AcmeRenewalScheduler::tick);
}

void AcmeRenewalScheduler::setRecords(const QList<AcmeCertificateRecord> &records)
{
    m_records.clear();
    for (const AcmeCertificateRecord &r : records)
        m_records.insert(r.certificateId, r);
}

void AcmeRenewalScheduler::start(int ms)
{
    m_timer.start(ms);
    QTimer::singleShot(0, this, &AcmeRenewalScheduler::tick);
}

void AcmeRenewalScheduler::tick()
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (const QString &id : takeDue(now))
        emit renewalDue(m_records.value(id));
}

QStringList AcmeRenewalScheduler::takeDue(const QDateTime &now)
{
    QStringList due;
    for (auto it = m_records.begin(); it != m_records.end(); ++it) {
        if (it->status != QLatin1String("renewing") && it->renewAfter.isValid() && it->renewAfter <= now) {
            it->status = QStringLiteral("renewing");
            it->lastAttempt = now;
            due << it.key();
        }
    }
    due.sort();
    return due;
}

AcmeCertificateRecord AcmeRenewalScheduler::renewalSucceeded(const QString &oldId, const QString &newId,
                                                             const QDateTime &notBefore, const QDateTime &notAfter,
                                                             const QDateTime &now)
{
    AcmeCertificateRecord r = m_records.take(oldId);
    r.certificateId = newId;
    r.status = QStringLiteral("valid");
    r.lastError.clear();
    r.lastAttempt = now;
    r.failures = 0;
    r.renewAfter = renewalTime(notBefore, notAfter);
    m_records.insert(newId, r);
    return r;
}

AcmeCertificateRecord AcmeRenewalScheduler::renewalFailed(const QString &id, const QString &error,
                                                          const QDateTime &now, const QDateTime &notAfter)
{
    AcmeCertificateRecord &r = m_records[id];
    r.certificateId = id;
    r.status = QStringLiteral("failed");
    r.lastError = error;
    r.lastAttempt = now;
    ++r.failures;
    QDateTime next = now.addSecs(backoffSeconds(r.failures));
    // Keep trying before the certificate runs out, at least once an hour in its last day.
    if (notAfter.isValid() && next > notAfter.addSecs(-3600))
        next = std::max(now.addSecs(300), std::min(next, notAfter.addSecs(-3600)));
    r.renewAfter = next;
    return r;
}

} // namespace rd::acme
