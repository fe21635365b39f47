// The asynchronous SMTP AUTH decision: outcomes, threading, throttling, timing.
#include "auth/authenticator.h"
#include "auth/userstore.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <memory>

using namespace rd::auth;

namespace {

constexpr int kTestIterations = 1000;

AuthenticatorOptions testOptions()
{
    AuthenticatorOptions o;
    o.hashIterations = kTestIterations;
    return o;
}

struct Attempt {
    bool done = false;
    bool calledSynchronously = false;
    bool rightThread = false;
    AuthResult result;
    qint64 elapsedMs = 0;
};

// Starts an attempt and waits (spinning the event loop) for its result.
Attempt run(Authenticator &auth, const QString &user, const QByteArray &password, const QString &ip)
{
    auto a = std::make_shared<Attempt>();
    QElapsedTimer t;
    t.start();
    QThread *const expected = auth.thread();
    auth.verify(user, password, ip, [a, t, expected](AuthResult r) {
        a->done = true;
        a->result = r;
        a->elapsedMs = t.elapsed();
        a->rightThread = QThread::currentThread() == expected;
    });
    a->calledSynchronously = a->done;
    for (int i = 0; i < 3000 && !a->done; ++i)
        QTest::qWait(5);
    return *a;
}

} // namespace

class TestAuthenticator : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        UserStore store(m_dir.path(), kTestIterations);
        QVERIFY2(store.isOpen(), qPrintable(store.errorString()));
        QString error;
        QVERIFY(store.addUser(QStringLiteral("alice"), QStringLiteral("alice-pw-123"), true, &error));
        QVERIFY(store.addUser(QStringLiteral("Bob"), QStringLiteral("bob-pw-123"), true, &error));
        QVERIFY(store.setEnabled(QStringLiteral("bob"), false, &error));
        QVERIFY(store.addUser(QStringLiteral("carol"), QStringLiteral("carol-pw-123"), false, &error));
    }

    void success()
    {
        Authenticator auth(m_dir.path(), testOptions());
        const Attempt a = run(auth, QStringLiteral("ALICE"), "alice-pw-123", QStringLiteral("192.0.2.10"));
        QVERIFY(a.done);
        QVERIFY2(!a.calledSynchronously, "done must run after verify() has returned");
        QVERIFY(a.rightThread);
        QCOMPARE(a.result.outcome, AuthResult::Success);
        QVERIFY(a.result.mayRelay);
        QCOMPARE(a.result.userName, QStringLiteral("alice"));
        QCOMPARE(a.result.delayMs, 0);
        QVERIFY(!a.result.disconnect);
        QCOMPARE(auth.pendingCount(), 0);

        // last_login and the IP are stamped in the background.
        auth.waitForIdle();
        UserStore store(m_dir.path(), kTestIterations);
        const UserInfo u = *store.user(QStringLiteral("alice"));
        QVERIFY(u.lastLogin.isValid());
        QCOMPARE(u.lastLoginIp, QStringLiteral("192.0.2.10"));
    }

    void successWithoutRelayRight()
    {
        Authenticator auth(m_dir.path(), testOptions());
        const Attempt a = run(auth, QStringLiteral("carol"), "carol-pw-123", QStringLiteral("192.0.2.11"));
        QCOMPARE(a.result.outcome, AuthResult::Success);
        QVERIFY(!a.result.mayRelay);
    }

    void badPassword()
    {
        Authenticator auth(m_dir.path(), testOptions());
        const Attempt a = run(auth, QStringLiteral("alice"), "alice-pw-124", QStringLiteral("192.0.2.12"));
        QVERIFY(a.done);
        QVERIFY(!a.calledSynchronously);
        QCOMPARE(a.result.outcome, AuthResult::BadCredentials);
        QVERIFY(!a.result.mayRelay);
        QCOMPARE(a.result.logReason, QStringLiteral("wrong password"));
        QVERIFY(!a.result.logReason.contains(QStringLiteral("alice-pw")));
        QVERIFY(a.result.userName.isEmpty());
        QCOMPARE(auth.failureTracker().userFailures(QStringLiteral("alice"), auth.clockMs()), 1);
    }

    void unknownUser()
    {
        Authenticator auth(m_dir.path(), testOptions());
        const Attempt a = run(auth, QStringLiteral("mallory"), "alice-pw-123", QStringLiteral("192.0.2.13"));
        QCOMPARE(a.result.outcome, AuthResult::BadCredentials);
        QVERIFY(!a.result.mayRelay);
        QCOMPARE(a.result.logReason, QStringLiteral("unknown user"));
        const Attempt empty = run(auth, QString(), "x", QStringLiteral("192.0.2.13"));
        QCOMPARE(empty.result.outcome, AuthResult::BadCredentials);
    }

    void disabledUser()
    {
        Authenticator auth(m_dir.path(), testOptions());
        const Attempt right = run(auth, QStringLiteral("bob"), "bob-pw-123", QStringLiteral("192.0.2.14"));
        QCOMPARE(right.result.outcome, AuthResult::Disabled);
        QVERIFY(!right.result.mayRelay);
        QCOMPARE(right.result.userName, QStringLiteral("Bob"));
        // A wrong password does not reveal that the account is disabled.
        const Attempt wrong = run(auth, QStringLiteral("bob"), "bob-pw-124", QStringLiteral("192.0.2.14"));
        QCOMPARE(wrong.result.outcome, AuthResult::BadCredentials);
        QCOMPARE(wrong.result.logReason, QStringLiteral("wrong password"));
        auth.waitForIdle();
        UserStore store(m_dir.path(), kTestIterations);
        QVERIFY(store.user(QStringLiteral("bob"))->lastLogin.isNull());
    }

    void throttlingAndDisconnect()
    {
        Authenticator auth(m_dir.path(), testOptions());
        const QString ip = QStringLiteral("198.51.100.20");
        const QList<int> delays = {0, 0, 0, 1000, 2000, 4000, 8000, 16000, 30000, 30000};
        for (int n = 0; n < 10; ++n) {
            const Attempt a = run(auth, QStringLiteral("guess%1").arg(n), "nope", ip);
            QCOMPARE(a.result.outcome, AuthResult::BadCredentials);
            QCOMPARE(a.result.delayMs, delays.at(n));
            QCOMPARE(a.result.disconnect, n == 9);
        }
        QVERIFY(auth.shouldDisconnect(ip));
        // Now even the right password is refused unchecked, still asynchronously.
        const Attempt blocked = run(auth, QStringLiteral("alice"), "alice-pw-123", ip);
        QVERIFY(!blocked.calledSynchronously);
        QCOMPARE(blocked.result.outcome, AuthResult::Throttled);
        QVERIFY(blocked.result.disconnect);
        QVERIFY(!blocked.result.mayRelay);
        // Another address is not affected.
        const Attempt other = run(auth, QStringLiteral("alice"), "alice-pw-123", QStringLiteral("198.51.100.21"));
        QCOMPARE(other.result.outcome, AuthResult::Success);
    }

    void successResetsUserCount()
    {
        Authenticator auth(m_dir.path(), testOptions());
        for (int n = 0; n < 3; ++n)
            run(auth, QStringLiteral("carol"), "wrong", QStringLiteral("203.0.113.%1").arg(n));
        // A fourth attempt from a fresh address is delayed because of carol's count...
        const Attempt ok = run(auth, QStringLiteral("Carol"), "carol-pw-123", QStringLiteral("203.0.113.50"));
        QCOMPARE(ok.result.outcome, AuthResult::Success);
        QCOMPARE(ok.result.delayMs, 1000);
        // ...and the success clears it.
        const Attempt next = run(auth, QStringLiteral("carol"), "wrong", QStringLiteral("203.0.113.51"));
        QCOMPARE(next.result.delayMs, 0);
        QCOMPARE(auth.failureTracker().ipFailures(QStringLiteral("203.0.113.0"), auth.clockMs()), 1);
    }

    void rehashOnLogin()
    {
        QTemporaryDir dir;
        {
            UserStore weak(dir.path(), 500);
            QString error;
            QVERIFY(weak.addUser(QStringLiteral("old"), QStringLiteral("old-pw-123"), true, &error));
        }
        Authenticator auth(dir.path(), testOptions());
        const Attempt a = run(auth, QStringLiteral("old"), "old-pw-123", QStringLiteral("192.0.2.30"));
        QCOMPARE(a.result.outcome, AuthResult::Success);
        auth.waitForIdle();
        UserStore store(dir.path(), kTestIterations);
        const QString hash = *store.passwordHashFor(QStringLiteral("old"));
        QVERIFY2(hash.startsWith(QStringLiteral("pbkdf2-sha256$1000$")), qPrintable(hash));
        QVERIFY(verifyPassword("old-pw-123", hash));
        QVERIFY(store.user(QStringLiteral("old"))->lastLogin.isValid());
    }

    void storeUnavailable()
    {
        Authenticator auth(QStringLiteral("/nonexistent/relaydesk-test/dir"), testOptions());
        const Attempt a = run(auth, QStringLiteral("alice"), "alice-pw-123", QStringLiteral("192.0.2.40"));
        QCOMPARE(a.result.outcome, AuthResult::TemporaryFailure);
        QVERIFY(a.result.logReason.startsWith(QStringLiteral("user store unavailable")));
        QCOMPARE(auth.failureTracker().trackedIps(), 0);
    }

    void boundedQueue()
    {
        AuthenticatorOptions o = testOptions();
        o.maxPending = 1;
        o.maxThreads = 1;
        Authenticator auth(m_dir.path(), o);
        auto first = std::make_shared<AuthResult>();
        auto second = std::make_shared<AuthResult>();
        int calls = 0;
        auth.verify(QStringLiteral("alice"), "alice-pw-123", QStringLiteral("192.0.2.50"), [&, first](AuthResult r) {
            *first = r;
            ++calls;
        });
        auth.verify(QStringLiteral("alice"), "alice-pw-123", QStringLiteral("192.0.2.51"), [&, second](AuthResult r) {
            *second = r;
            ++calls;
        });
        QCOMPARE(calls, 0);
        QTRY_COMPARE_WITH_TIMEOUT(calls, 2, 10000);
        QCOMPARE(first->outcome, AuthResult::Success);
        QCOMPARE(second->outcome, AuthResult::TemporaryFailure);
    }

    void destroyedWhilePending()
    {
        bool called = false;
        {
            Authenticator auth(m_dir.path(), testOptions());
            auth.verify(QStringLiteral("alice"), "alice-pw-123", QStringLiteral("192.0.2.60"),
                        [&called](AuthResult) { called = true; });
        }
        QTest::qWait(50);
        QVERIFY(!called);
    }

    void manyConcurrent()
    {
        Authenticator auth(m_dir.path(), testOptions());
        int done = 0, ok = 0;
        for (int n = 0; n < 20; ++n) {
            const bool right = n % 2 == 0;
            auth.verify(QStringLiteral("alice"), right ? "alice-pw-123" : "bad", QStringLiteral("10.1.0.%1").arg(n),
                        [&done, &ok](AuthResult r) {
                            ++done;
                            ok += r.outcome == AuthResult::Success;
                        });
        }
        QTRY_COMPARE_WITH_TIMEOUT(done, 20, 20000);
        QCOMPARE(ok, 10);
        QCOMPARE(auth.pendingCount(), 0);
    }

    // Full OWASP cost, as in production: an unknown name must cost about as
    // much as a known one. Loose bound only (shared CI machines are noisy).
    void unknownUserCostsTheSame()
    {
        QTemporaryDir dir;
        QElapsedTimer t;
        t.start();
        {
            UserStore store(dir.path()); // default cost
            QString error;
            QVERIFY(store.addUser(QStringLiteral("dave"), QStringLiteral("dave-pw-123"), true, &error));
        }
        const qint64 addMs = t.elapsed();
        Authenticator auth(dir.path()); // production defaults
        qint64 known = 0, unknown = 0;
        for (int round = 0; round < 2; ++round) {
            const Attempt k = run(auth, QStringLiteral("dave"), "wrong-pw", QStringLiteral("192.0.2.%1").arg(70 + round));
            QCOMPARE(k.result.outcome, AuthResult::BadCredentials);
            QCOMPARE(k.result.logReason, QStringLiteral("wrong password"));
            const Attempt u = run(auth, QStringLiteral("nosuchuser%1").arg(round), "wrong-pw",
                                  QStringLiteral("192.0.2.%1").arg(80 + round));
            QCOMPARE(u.result.outcome, AuthResult::BadCredentials);
            QCOMPARE(u.result.logReason, QStringLiteral("unknown user"));
            known += k.elapsedMs;
            unknown += u.elapsedMs;
        }
        qInfo("addUser at %d iterations: %lld ms; verify known user (wrong password): %lld ms avg; "
              "unknown user: %lld ms avg",
              kDefaultIterations, addMs, known / 2, unknown / 2);
        QVERIFY2(unknown * 10 > known * 3, "an unknown user must cost about as much as a known one");
        QVERIFY2(known * 10 > unknown * 3, "a known user must cost about as much as an unknown one");
    }
};

QTEST_GUILESS_MAIN(TestAuthenticator)
#include "tst_authenticator.moc"
