#pragma once
// When ACME certificates are renewed: at two thirds of their lifetime (as
// certbot and Let's Encrypt advise for 90-day certificates: 30 days left),
// and after a failure with an exponential backoff (5 min, 10, 20 ... capped
// at 12 h) so a broken setup does not hammer the CA (its rate limits), but
// never later than the certificate's last day.
// AcmeRenewalScheduler holds the acme_certificates rows in memory and tells
// the engine when one is due; the engine starts an AcmeOrder and reports the
// outcome back. Thread: the creating thread; pure functions: any.

#include <QDateTime>
#include <QHash>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>

namespace rd::acme {

// notBefore + (notAfter - notBefore) * 2 / 3.
QDateTime renewalTime(const QDateTime &notBefore, const QDateTime &notAfter);
// The wait after `failures` consecutive failures (1 -> 5 min, doubling, capped at 12 h).
qint64 backoffSeconds(int failures);

// One acme_certificates row (config.db v9), times in UTC.
struct AcmeCertificateRecord {
    QString certificateId;   // the CertificateStore entry
    QStringList names;
    QString challenge;       // "http-01" / "dns-01"
    QString directoryUrl;
    QString status;          // "valid", "renewing", "failed"
    QString lastError;
    QDateTime lastAttempt;
    QDateTime renewAfter;
    int failures = 0;        // consecutive failures (kept in memory only)
};

class AcmeRenewalScheduler : public QObject {
    Q_OBJECT
public:
    explicit AcmeRenewalScheduler(QObject *parent = nullptr);

    // Replaces the known certificates (rows read from acme_certificates).
    void setRecords(const QList<AcmeCertificateRecord> &records);
    QList<AcmeCertificateRecord> records() const { return m_records.values(); }
    // Checks for due renewals every `ms` (default 10 min) and once now.
    void start(int ms = 10 * 60 * 1000);

    // The engine's reports. success: the new entry replaces `oldId` and is
    // scheduled at renewalTime(); failure: backoff. Both return the row to
    // write to acme_certificates.
    AcmeCertificateRecord renewalSucceeded(const QString &oldId, const QString &newId, const QDateTime &notBefore,
                                           const QDateTime &notAfter, const QDateTime &now);
    AcmeCertificateRecord renewalFailed(const QString &id, const QString &error, const QDateTime &now,
                                        const QDateTime &notAfter);

    // Ids whose renewAfter has passed and that are not being renewed; marks them "renewing".
    QStringList takeDue(const QDateTime &now);

signals:
    // Start a renewal for this row (the engine builds an AcmeRequest from it).
    void renewalDue(const rd::acme::AcmeCertificateRecord &record);

private:
    void tick();
    QHash<QString, AcmeCertificateRecord> m_records;
    QTimer m_timer;
};

} // namespace rd::acme
