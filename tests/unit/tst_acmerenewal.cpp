// When ACME certificates are renewed: two thirds of the lifetime, backoff
// after failures, never past the certificate's end; and the config.db rows.
#include "acme/acmerecords.h"
#include "acme/acmerenewal.h"
#include "storage/database.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace rd::acme;

class TestAcmeRenewal : public QObject {
    Q_OBJECT
private slots:
    void twoThirdsOfLifetime();
    void backoffDoublesAndCaps();
    void schedulerDueSuccessFailure();
    void failureNeverWaitsPastTheEnd();
    void recordsRoundTrip();
};

void TestAcmeRenewal::twoThirdsOfLifetime()
{
    const QDateTime nb(QDate(2026, 1, 1), QTime(0, 0), Qt::UTC);
    // Let's Encrypt's 90-day certificates: renew with 30 days left.
    QCOMPARE(renewalTime(nb, nb.addDays(90)), nb.addDays(60));
    // Six-day certificates: renew on day four.
    QCOMPARE(renewalTime(nb, nb.addDays(6)), nb.addDays(4));
    // Nonsense (end before start): now-ish, never in the future.
    QCOMPARE(renewalTime(nb, nb.addDays(-1)), nb);
}

void TestAcmeRenewal::backoffDoublesAndCaps()
{
    QCOMPARE(backoffSeconds(0), 0);
    QCOMPARE(backoffSeconds(1), 300);
    QCOMPARE(backoffSeconds(2), 600);
    QCOMPARE(backoffSeconds(3), 1200);
    QCOMPARE(backoffSeconds(20), 12 * 3600);
}

void TestAcmeRenewal::schedulerDueSuccessFailure()
{
    const QDateTime now(QDate(2026, 3, 1), QTime(12, 0), Qt::UTC);
    AcmeRenewalScheduler s;
    AcmeCertificateRecord due{QStringLiteral("aaaaaaaaaaaa"), {QStringLiteral("mail.example.org")}, QStringLiteral("http-01"),
                              QStringLiteral("https://ca/dir"), QStringLiteral("valid"), {}, {}, now.addSecs(-1)};
    AcmeCertificateRecord later = due;
    later.certificateId = QStringLiteral("bbbbbbbbbbbb");
    later.renewAfter = now.addDays(3);
    s.setRecords({due, later});
    QCOMPARE(s.takeDue(now), QStringList{QStringLiteral("aaaaaaaaaaaa")});
    QVERIFY(s.takeDue(now).isEmpty()); // already renewing

    const AcmeCertificateRecord failed = s.renewalFailed(QStringLiteral("aaaaaaaaaaaa"), QStringLiteral("boom"), now, now.addDays(20));
    QCOMPARE(failed.status, QStringLiteral("failed"));
    QCOMPARE(failed.lastError, QStringLiteral("boom"));
    QCOMPARE(failed.renewAfter, now.addSecs(300));
    QVERIFY(s.takeDue(now.addSecs(299)).isEmpty());
    QCOMPARE(s.takeDue(now.addSecs(300)), QStringList{QStringLiteral("aaaaaaaaaaaa")});
    QCOMPARE(s.renewalFailed(QStringLiteral("aaaaaaaaaaaa"), QStringLiteral("boom"), now, now.addDays(20)).renewAfter, now.addSecs(600));

    const QDateTime nb = now.addSecs(-60);
    const AcmeCertificateRecord ok = s.renewalSucceeded(QStringLiteral("aaaaaaaaaaaa"), QStringLiteral("cccccccccccc"), nb,
                                                        nb.addDays(90), now);
    QCOMPARE(ok.certificateId, QStringLiteral("cccccccccccc"));
    QCOMPARE(ok.status, QStringLiteral("valid"));
    QVERIFY(ok.lastError.isEmpty());
    QCOMPARE(ok.renewAfter, nb.addDays(60));
    QCOMPARE(ok.names, due.names);
    QCOMPARE(s.records().size(), 2); // the old id is gone, replaced by the new one
    // Backoff restarts after a success.
    QCOMPARE(s.renewalFailed(QStringLiteral("cccccccccccc"), QStringLiteral("x"), now, nb.addDays(90)).renewAfter, now.addSecs(300));
}

void TestAcmeRenewal::failureNeverWaitsPastTheEnd()
{
    const QDateTime now(QDate(2026, 3, 1), QTime(12, 0), Qt::UTC);
    AcmeRenewalScheduler s;
    AcmeCertificateRecord r;
    r.certificateId = QStringLiteral("aaaaaaaaaaaa");
    s.setRecords({r});
    AcmeCertificateRecord out;
    for (int i = 0; i < 10; ++i) // backoff would be 12 h by now
        out = s.renewalFailed(r.certificateId, QStringLiteral("x"), now, now.addSecs(2 * 3600));
    QVERIFY(out.renewAfter <= now.addSecs(3600));
    QVERIFY(out.renewAfter >= now.addSecs(300));
}

void TestAcmeRenewal::recordsRoundTrip()
{
    QTemporaryDir dir;
    QString error;
    QSqlDatabase db = rd::storage::openDatabase(dir.path(), rd::storage::DbKind::Config, QStringLiteral("acme-test"),
                                                 rd::storage::OpenOptions{}, &error);
    QVERIFY2(db.isOpen(), qPrintable(error));
    {
        const AcmeAccount a{QStringLiteral("https://ca/dir"), "-----BEGIN PRIVATE KEY-----\nx\n", QStringLiteral("https://ca/acct/1"),
                            QStringLiteral("admin@example.org")};
        QVERIFY2(saveAccount(db, a, &error), qPrintable(error));
        const std::optional<AcmeAccount> back = loadAccount(db, QStringLiteral("https://ca/dir"), &error);
        QVERIFY(back);
        QCOMPARE(back->keyPem, a.keyPem);
        QCOMPARE(back->accountUrl, a.accountUrl);
        QVERIFY(!loadAccount(db, QStringLiteral("https://other/dir"), &error));

        const QDateTime t(QDate(2026, 3, 1), QTime(12, 0), Qt::UTC);
        AcmeCertificateRecord r{QStringLiteral("aaaaaaaaaaaa"), {QStringLiteral("a.example"), QStringLiteral("b.example")},
                                QStringLiteral("dns-01"), QStringLiteral("https://ca/dir"), QStringLiteral("failed"),
                                QStringLiteral("dns-01 failed"), t, t.addDays(1)};
        QVERIFY2(saveCertificateRecord(db, r, &error), qPrintable(error));
        r.status = QStringLiteral("valid");
        QVERIFY(saveCertificateRecord(db, r, &error)); // replaces
        const QList<AcmeCertificateRecord> rows = loadCertificateRecords(db, &error);
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].names, r.names);
        QCOMPARE(rows[0].status, QStringLiteral("valid"));
        QCOMPARE(rows[0].lastAttempt, t);
        QCOMPARE(rows[0].renewAfter, t.addDays(1));
        QVERIFY(removeCertificateRecord(db, r.certificateId, &error));
        QVERIFY(loadCertificateRecords(db, &error).isEmpty());
    }
    db = QSqlDatabase();
    rd::storage::closeDatabase(QStringLiteral("acme-test"));
}

QTEST_GUILESS_MAIN(TestAcmeRenewal)
#include "tst_acmerenewal.moc"
