// Failed-AUTH throttling with a fake clock.
#include "auth/failuretracker.h"

#include <QTest>

using namespace rd::auth;

namespace {
constexpr qint64 kSec = 1000;
constexpr qint64 kMin = 60 * kSec;
const QString kIp = QStringLiteral("192.0.2.7");
} // namespace

class TestFailureTracker : public QObject {
    Q_OBJECT
private slots:
    void delaysGrowPerIp()
    {
        FailureTracker t;
        qint64 now = 1000 * kSec;
        // Expected delay before attempt n (n = failures so far): 0,0,0,1,2,4,8,16,30,30 s.
        const QList<int> expected = {0, 0, 0, 1000, 2000, 4000, 8000, 16000, 30000, 30000};
        for (int n = 0; n < expected.size(); ++n) {
            // A different user each time: only the IP's count matters.
            const QString user = QStringLiteral("user%1").arg(n);
            QCOMPARE(t.delayMs(kIp, user, now), expected.at(n));
            t.recordFailure(kIp, user, now);
            now += 5 * kSec;
        }
        QCOMPARE(t.ipFailures(kIp, now), 10);
        QCOMPARE(t.delayMs(kIp, QStringLiteral("new"), now), 30000);
        QCOMPARE(t.delayMs(QStringLiteral("192.0.2.8"), QStringLiteral("new"), now), 0);
    }

    void delaysGrowPerUser()
    {
        FailureTracker t;
        const qint64 now = 50 * kSec;
        for (int n = 0; n < 5; ++n)
            t.recordFailure(QStringLiteral("198.51.100.%1").arg(n), QStringLiteral("alice"), now);
        // From a fresh address, alice's own count decides: 5 failures -> 4 s.
        QCOMPARE(t.delayMs(QStringLiteral("203.0.113.1"), QStringLiteral("alice"), now), 4000);
        QCOMPARE(t.delayMs(QStringLiteral("203.0.113.1"), QStringLiteral("ALICE"), now), 4000);
        QCOMPARE(t.delayMs(QStringLiteral("203.0.113.1"), QStringLiteral("bob"), now), 0);
        QCOMPARE(t.userFailures(QStringLiteral("Alice"), now), 5);
    }

    void disconnectAfterTenPerIp()
    {
        FailureTracker t;
        qint64 now = 0;
        for (int n = 0; n < 9; ++n) {
            t.recordFailure(kIp, QStringLiteral("u"), now);
            now += kSec;
        }
        QVERIFY(!t.shouldDisconnect(kIp, now));
        t.recordFailure(kIp, QStringLiteral("u"), now);
        QVERIFY(t.shouldDisconnect(kIp, now));
        QVERIFY(!t.shouldDisconnect(QStringLiteral("192.0.2.99"), now));
        // Failures age out one by one after 15 minutes (sliding window).
        QVERIFY(t.shouldDisconnect(kIp, 15 * kMin - 1));
        QVERIFY(!t.shouldDisconnect(kIp, 15 * kMin));
        QCOMPARE(t.ipFailures(kIp, 15 * kMin), 9);
        QCOMPARE(t.ipFailures(kIp, 15 * kMin + 9 * kSec), 0);
    }

    void slidingWindow()
    {
        FailureTracker t;
        t.recordFailure(kIp, QStringLiteral("u"), 0);
        t.recordFailure(kIp, QStringLiteral("u"), 1 * kMin);
        t.recordFailure(kIp, QStringLiteral("u"), 2 * kMin);
        QCOMPARE(t.delayMs(kIp, QStringLiteral("u"), 3 * kMin), 1000);
        // The first failure is older than 15 minutes: back to two, no delay.
        QCOMPARE(t.delayMs(kIp, QStringLiteral("u"), 15 * kMin + 1), 0);
        t.recordFailure(kIp, QStringLiteral("u"), 15 * kMin + 1);
        QCOMPARE(t.delayMs(kIp, QStringLiteral("u"), 15 * kMin + 2), 1000);
    }

    void successResetsUserNotIp()
    {
        FailureTracker t;
        for (int n = 0; n < 4; ++n)
            t.recordFailure(kIp, QStringLiteral("alice"), n * kSec);
        QCOMPARE(t.delayMs(QStringLiteral("203.0.113.5"), QStringLiteral("alice"), 10 * kSec), 2000);
        t.recordSuccess(QStringLiteral("ALICE"));
        QCOMPARE(t.userFailures(QStringLiteral("alice"), 10 * kSec), 0);
        QCOMPARE(t.delayMs(QStringLiteral("203.0.113.5"), QStringLiteral("alice"), 10 * kSec), 0);
        QCOMPARE(t.ipFailures(kIp, 10 * kSec), 4);
        QCOMPARE(t.delayMs(kIp, QStringLiteral("alice"), 10 * kSec), 2000);
    }

    void addressKeys()
    {
        QCOMPARE(FailureTracker::ipKey(QStringLiteral("192.0.2.1")), QStringLiteral("192.0.2.1"));
        QCOMPARE(FailureTracker::ipKey(QStringLiteral("::ffff:192.0.2.1")), QStringLiteral("192.0.2.1"));
        QCOMPARE(FailureTracker::ipKey(QStringLiteral("2001:db8::1")), QStringLiteral("2001:db8::/64"));
        QCOMPARE(FailureTracker::ipKey(QStringLiteral("2001:db8::ffff:1:2")),
                 FailureTracker::ipKey(QStringLiteral("[2001:db8:0:0:1::9]")));
        QVERIFY(FailureTracker::ipKey(QStringLiteral("2001:db8:0:1::1"))
                != FailureTracker::ipKey(QStringLiteral("2001:db8::1")));
        QCOMPARE(FailureTracker::ipKey(QStringLiteral("not an ip")), QStringLiteral("not an ip"));
        QCOMPARE(FailureTracker::userKey(QStringLiteral("ÄRGER@Example.COM")), QStringLiteral("ärger@example.com"));
        QCOMPARE(FailureTracker::userKey(QString(1000, QLatin1Char('a'))).size(), 256);
    }

    void ipv6SharesAPrefix()
    {
        FailureTracker t;
        // An attacker rotating through its /64 is one client.
        for (int n = 0; n < 10; ++n)
            t.recordFailure(QStringLiteral("2001:db8:1:2::%1").arg(n + 1, 0, 16), QStringLiteral("u%1").arg(n), 0);
        QVERIFY(t.shouldDisconnect(QStringLiteral("2001:db8:1:2:ffff::1"), 1));
        QVERIFY(!t.shouldDisconnect(QStringLiteral("2001:db8:1:3::1"), 1));
        QCOMPARE(t.trackedIps(), 1);
    }

    void memoryIsBounded()
    {
        FailureLimits limits;
        limits.maxKeys = 100;
        FailureTracker t(limits);
        for (int n = 0; n < 1000; ++n)
            t.recordFailure(QStringLiteral("10.0.%1.%2").arg(n / 256).arg(n % 256), QStringLiteral("u%1").arg(n), n);
        QVERIFY(t.trackedIps() <= 100);
        QVERIFY(t.trackedUsers() <= 100);
        // The least recently failed were evicted, the newest kept.
        QCOMPARE(t.ipFailures(QStringLiteral("10.0.3.231"), 1000), 1); // n = 999
        QCOMPARE(t.ipFailures(QStringLiteral("10.0.0.0"), 1000), 0);
        QCOMPARE(t.userFailures(QStringLiteral("u999"), 1000), 1);
        QCOMPARE(t.userFailures(QStringLiteral("u0"), 1000), 0);
    }

    void perKeyHistoryIsBounded()
    {
        FailureTracker t;
        for (int n = 0; n < 10000; ++n)
            t.recordFailure(kIp, QStringLiteral("u"), n);
        // Counts stop at a small cap but still say "disconnect" and "max delay".
        QVERIFY(t.ipFailures(kIp, 10000) <= 32);
        QVERIFY(t.shouldDisconnect(kIp, 10000));
        QCOMPARE(t.delayMs(kIp, QStringLiteral("u"), 10000), 30000);
    }

    void expiredEntriesArePurged()
    {
        FailureLimits limits;
        limits.maxKeys = 3;
        FailureTracker t(limits);
        t.recordFailure(QStringLiteral("10.0.0.1"), QStringLiteral("a"), 0);
        t.recordFailure(QStringLiteral("10.0.0.2"), QStringLiteral("b"), 0);
        t.recordFailure(QStringLiteral("10.0.0.3"), QStringLiteral("c"), 10 * kMin);
        QCOMPARE(t.trackedIps(), 3);
        t.purgeExpired(20 * kMin);
        QCOMPARE(t.trackedIps(), 1);
        QCOMPARE(t.trackedUsers(), 1);
        t.purgeExpired(30 * kMin);
        QCOMPARE(t.trackedIps(), 0);
    }

    void customLimits()
    {
        FailureLimits limits;
        limits.freeFailures = 1;
        limits.baseDelayMs = 500;
        limits.maxDelayMs = 1500;
        limits.disconnectAfter = 3;
        limits.windowMs = kMin;
        FailureTracker t(limits);
        QCOMPARE(t.delayMs(kIp, QStringLiteral("u"), 0), 0);
        t.recordFailure(kIp, QStringLiteral("u"), 0);
        QCOMPARE(t.delayMs(kIp, QStringLiteral("u"), 0), 500);
        t.recordFailure(kIp, QStringLiteral("u"), 0);
        QCOMPARE(t.delayMs(kIp, QStringLiteral("u"), 0), 1000);
        t.recordFailure(kIp, QStringLiteral("u"), 0);
        QCOMPARE(t.delayMs(kIp, QStringLiteral("u"), 0), 1500);
        QVERIFY(t.shouldDisconnect(kIp, 0));
        QVERIFY(!t.shouldDisconnect(kIp, kMin));
    }
};

QTEST_GUILESS_MAIN(TestFailureTracker)
#include "tst_failuretracker.moc"
