// RateLimiter (core/policy/ratelimiter.h): exact burst counts, sliding
// windows checked against a brute-force oracle of event timestamps, rule
// precedence, atomicity, concurrency, rule changes, persistence through a
// real config.db, the key cap, and a micro-benchmark.
#include "config/policyconfig.h"
#include "policy/ratelimiter.h"
#include "storage/database.h"

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace rd::policy;
using rd::config::LimitMetric;
using rd::config::LimitScope;
using rd::config::RateLimitRule;

namespace {

constexpr qint64 kT0 = 1700000000000; // 2023-11-14T22:13:20Z

RateLimitRule rule(LimitScope scope, const QString &subject, LimitMetric metric, int window, int maximum)
{
    RateLimitRule r;
    r.scope = scope;
    r.subject = subject;
    r.metric = metric;
    r.windowSeconds = window;
    r.maximum = maximum;
    return r;
}

// The accepted events' timestamps: the exact sliding-window truth.
struct Oracle {
    std::vector<qint64> accepted;
    // Events in (from, to].
    int countIn(qint64 from, qint64 to) const
    {
        int n = 0;
        for (qint64 t : accepted)
            n += t > from && t <= to;
        return n;
    }
};

} // namespace

class TestRateLimiter : public QObject {
    Q_OBJECT

    qint64 m_now = kT0;
    RateLimiter::Clock clock()
    {
        return [this] { return m_now; };
    }

    // Calls the inbound check of `metric` for one client.
    std::optional<Refusal> attempt(RateLimiter &lim, LimitMetric metric, const QString &ip)
    {
        switch (metric) {
        case LimitMetric::Messages: return lim.message(ip, QString(), QStringLiteral("a@example.com"));
        case LimitMetric::Recipients: return lim.recipient(ip, QString(), QStringLiteral("a@example.com"));
        case LimitMetric::Connections: {
            auto r = lim.connect(ip);
            if (!r)
                lim.disconnect(ip);
            return r;
        }
        case LimitMetric::Concurrent: return lim.connect(ip);
        }
        return std::nullopt;
    }

    int allowedOf(RateLimiter &lim, LimitMetric metric, const QString &ip, int attempts)
    {
        int allowed = 0;
        for (int i = 0; i < attempts; ++i)
            allowed += !attempt(lim, metric, ip).has_value();
        return allowed;
    }

private slots:
    void init() { m_now = kT0; }

    void burstGivesExactlyTheLimit_data()
    {
        QTest::addColumn<int>("metric");
        QTest::addColumn<int>("window");
        QTest::addColumn<int>("maximum");
        QTest::addColumn<int>("burst");
        for (int window : {60, 3600, 86400}) {
            for (auto m : {LimitMetric::Messages, LimitMetric::Recipients, LimitMetric::Connections}) {
                const QByteArray name = rd::config::limitMetricName(m).toLatin1() + '/' + QByteArray::number(window);
                QTest::newRow(name + "/over") << int(m) << window << 100 << 250;
                QTest::newRow(name + "/under") << int(m) << window << 100 << 37;
                QTest::newRow(name + "/equal") << int(m) << window << 1 << 1;
            }
        }
    }

    void burstGivesExactlyTheLimit()
    {
        QFETCH(int, metric);
        QFETCH(int, window);
        QFETCH(int, maximum);
        QFETCH(int, burst);
        const auto m = LimitMetric(metric);
        RateLimiter lim(clock());
        lim.setRules({rule(LimitScope::ClientIp, QStringLiteral("*"), m, window, maximum)});
        QCOMPARE(allowedOf(lim, m, QStringLiteral("10.0.0.5"), burst), std::min(burst, maximum));
        // Another client is counted separately.
        QCOMPARE(allowedOf(lim, m, QStringLiteral("10.0.0.6"), burst), std::min(burst, maximum));
        if (burst < maximum)
            return;
        const auto r = attempt(lim, m, QStringLiteral("10.0.0.5"));
        QVERIFY(r.has_value());
        QCOMPARE(r->key, QStringLiteral("10.0.0.5"));
        QCOMPARE(r->used, maximum);
        QCOMPARE(r->rule.maximum, maximum);
        QVERIFY(r->retryAfterSeconds >= window && r->retryAfterSeconds <= window + window / 60 + 1);
        QVERIFY2(r->text.startsWith(QStringLiteral("client 10.0.0.5 ")), qPrintable(r->text));
        QVERIFY2(r->text.contains(QStringLiteral("(limit %1)").arg(rd::config::describeRateLimit(r->rule))),
                 qPrintable(r->text));
    }

    void refusalText()
    {
        RateLimiter lim(clock());
        lim.setRules({rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 60, 100),
                      rule(LimitScope::User, QStringLiteral("*"), LimitMetric::Recipients, 3600, 1)});
        QCOMPARE(allowedOf(lim, LimitMetric::Messages, QStringLiteral("10.0.0.5"), 100), 100);
        auto r = lim.message(QStringLiteral("10.0.0.5"), QString(), QStringLiteral("a@example.com"));
        QVERIFY(r);
        QCOMPARE(r->text, QStringLiteral("client 10.0.0.5 sent 100 messages in the last minute "
                                         "(limit 100 messages per minute per client IP)"));
        QVERIFY(!lim.recipient(QStringLiteral("10.0.0.5"), QStringLiteral("Alice"), QString()));
        r = lim.recipient(QStringLiteral("10.0.0.5"), QStringLiteral("alice"), QString());
        QVERIFY(r);
        QVERIFY2(r->text.startsWith(QStringLiteral("user alice sent to 1 recipient in the last hour")),
                 qPrintable(r->text));
    }

    // A burst at one instant, then the clock: nothing leaves before the window
    // has passed, everything is back one granule (window/60) after it.
    void windowSlides_data()
    {
        QTest::addColumn<int>("window");
        QTest::newRow("minute") << 60;
        QTest::newRow("hour") << 3600;
        QTest::newRow("day") << 86400;
    }

    void windowSlides()
    {
        QFETCH(int, window);
        const qint64 w = qint64(window) * 1000;
        const qint64 g = std::max<qint64>(1000, w / 60);
        RateLimiter lim(clock());
        lim.setRules({rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, window, 10)});
        const QString ip = QStringLiteral("192.0.2.1");
        QCOMPARE(allowedOf(lim, LimitMetric::Messages, ip, 30), 10);
        m_now = kT0 + w - 1;
        QCOMPARE(allowedOf(lim, LimitMetric::Messages, ip, 5), 0);
        m_now = kT0 + w + g;
        QCOMPARE(allowedOf(lim, LimitMetric::Messages, ip, 30), 10);

        // Gradual return: one event per granule fills the limit; then each
        // granule that passes frees exactly one more.
        RateLimiter spread(clock());
        spread.setRules(lim.rules());
        const qint64 start = (kT0 / g + 1) * g; // a granule boundary
        for (int i = 0; i < 10; ++i) {
            m_now = start + i * g;
            QVERIFY(!spread.message(ip, QString(), QString()));
        }
        m_now = start + 10 * g;
        QVERIFY(spread.message(ip, QString(), QString()));
        for (int i = 0; i < 10; ++i) {
            m_now = start + w + (i + 1) * g - 1; // the i-th event's granule not yet over
            QVERIFY2(spread.message(ip, QString(), QString()), qPrintable(QString::number(i)));
            m_now = start + w + (i + 1) * g;
            QVERIFY2(!spread.message(ip, QString(), QString()), qPrintable(QString::number(i)));
            QVERIFY(spread.message(ip, QString(), QString()));
        }
    }

    // Random arrivals against the exact timestamps: the limiter never lets
    // more than `maximum` through in any true window, refuses only when at
    // least `maximum` were accepted within window + granule, and its
    // retry-after is right (the attempt passes then, not a second earlier).
    void randomArrivalsAgainstOracle_data()
    {
        QTest::addColumn<int>("window");
        QTest::addColumn<int>("maximum");
        QTest::newRow("minute/7") << 60 << 7;
        QTest::newRow("minute/1") << 60 << 1;
        QTest::newRow("hour/25") << 3600 << 25;
        QTest::newRow("day/40") << 86400 << 40;
    }

    void randomArrivalsAgainstOracle()
    {
        QFETCH(int, window);
        QFETCH(int, maximum);
        const qint64 w = qint64(window) * 1000;
        const qint64 g = std::max<qint64>(1000, w / 60);
        QRandomGenerator rng(4711 + window + maximum);
        RateLimiter lim(clock());
        lim.setRules({rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, window, maximum)});
        const QString ip = QStringLiteral("198.51.100.7");
        Oracle oracle;
        int refusals = 0;
        for (int i = 0; i < 4000; ++i) {
            // Bursts and pauses: mostly short gaps, sometimes long ones.
            const qint64 gap = rng.bounded(10) == 0 ? qint64(rng.bounded(quint32(w / 2)))
                                                    : qint64(rng.bounded(quint32(3 * w / maximum / 4 + 1)));
            m_now += gap;
            const auto r = lim.message(ip, QString(), QString());
            if (!r) {
                oracle.accepted.push_back(m_now);
                QVERIFY2(oracle.countIn(m_now - w, m_now) <= maximum, "more than the limit in a true window");
                continue;
            }
            ++refusals;
            QVERIFY2(oracle.countIn(m_now - w - g, m_now) >= maximum, "refused below the limit");
            // What it reports as used lies between the true window and window + granule.
            QVERIFY(r->used >= oracle.countIn(m_now - w, m_now));
            QVERIFY(r->used <= oracle.countIn(m_now - w - g, m_now));
            QVERIFY(r->used >= maximum);
            if (i % 7 == 0) {
                const qint64 saved = m_now;
                RateLimiter later = lim;
                m_now = saved + qint64(r->retryAfterSeconds) * 1000;
                QVERIFY2(!later.message(ip, QString(), QString()), "refused after retry-after");
                if (r->retryAfterSeconds > 1) {
                    RateLimiter earlier = lim;
                    m_now = saved + qint64(r->retryAfterSeconds - 1) * 1000;
                    QVERIFY2(earlier.message(ip, QString(), QString()), "retry-after longer than needed");
                }
                m_now = saved;
            }
        }
        QVERIFY(refusals > 100);
        QVERIFY(oracle.accepted.size() > size_t(3 * maximum));
    }

    void specificBeatsStar()
    {
        RateLimiter lim(clock());
        QList<RateLimitRule> rules = {
            rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 60, 20),
            rule(LimitScope::ClientIp, QStringLiteral("10.0.0.0/8"), LimitMetric::Messages, 60, 5),
            rule(LimitScope::ClientIp, QStringLiteral("10.1.0.0/16"), LimitMetric::Messages, 60, 3),
            rule(LimitScope::ClientIp, QStringLiteral("10.1.2.3"), LimitMetric::Messages, 60, 0),
            rule(LimitScope::ClientIp, QStringLiteral("2001:db8::/32"), LimitMetric::Messages, 60, 2),
        };
        for (bool reversed : {false, true}) {
            if (reversed)
                std::reverse(rules.begin(), rules.end());
            lim.setRules(rules);
            m_now += 3600 * 1000; // fresh windows
            QCOMPARE(allowedOf(lim, LimitMetric::Messages, QStringLiteral("10.1.2.3"), 500), 500); // exempt
            QCOMPARE(allowedOf(lim, LimitMetric::Messages, QStringLiteral("10.1.5.5"), 50), 3);
            // IPv4-mapped IPv6 is the same client.
            QCOMPARE(allowedOf(lim, LimitMetric::Messages, QStringLiteral("::ffff:10.1.5.5"), 50), 0);
            // A CIDR override counts per IP: each host gets its own 5.
            QCOMPARE(allowedOf(lim, LimitMetric::Messages, QStringLiteral("10.2.0.1"), 50), 5);
            QCOMPARE(allowedOf(lim, LimitMetric::Messages, QStringLiteral("10.2.0.2"), 50), 5);
            QCOMPARE(allowedOf(lim, LimitMetric::Messages, QStringLiteral("192.168.1.1"), 50), 20);
            QCOMPARE(allowedOf(lim, LimitMetric::Messages, QStringLiteral("2001:DB8::1"), 50), 2);
            QCOMPARE(allowedOf(lim, LimitMetric::Messages, QStringLiteral("2001:db9::1"), 50), 20);
            const auto r = lim.message(QStringLiteral("10.1.5.5"), QString(), QString());
            QVERIFY(r);
            QCOMPARE(r->rule.subject, QStringLiteral("10.1.0.0/16"));
        }
    }

    void userAndSenderPrecedence()
    {
        RateLimiter lim(clock());
        lim.setRules({
            rule(LimitScope::User, QStringLiteral("*"), LimitMetric::Messages, 60, 4),
            rule(LimitScope::User, QStringLiteral("Alice"), LimitMetric::Messages, 60, 2),
            rule(LimitScope::User, QStringLiteral("robot"), LimitMetric::Messages, 60, 0),
            rule(LimitScope::Sender, QStringLiteral("*"), LimitMetric::Recipients, 60, 5),
            rule(LimitScope::Sender, QStringLiteral("@example.com"), LimitMetric::Recipients, 60, 3),
            rule(LimitScope::Sender, QStringLiteral("boss@example.com"), LimitMetric::Recipients, 60, 1),
        });
        const QString ip = QStringLiteral("127.0.0.1");
        auto msgs = [&](const QString &user, int n) {
            int ok = 0;
            for (int i = 0; i < n; ++i)
                ok += !lim.message(ip, user, QStringLiteral("x@y.org"));
            return ok;
        };
        auto rcpts = [&](const QString &sender, int n) {
            int ok = 0;
            for (int i = 0; i < n; ++i)
                ok += !lim.recipient(ip, QString(), sender);
            return ok;
        };
        QCOMPARE(msgs(QStringLiteral("alice"), 10), 2);
        QCOMPARE(msgs(QStringLiteral("ALICE"), 10), 0);
        QCOMPARE(msgs(QStringLiteral("bob"), 10), 4);
        QCOMPARE(msgs(QStringLiteral("robot"), 100), 100);
        QCOMPARE(msgs(QString(), 100), 100); // not authenticated: no user limit
        QCOMPARE(rcpts(QStringLiteral("Boss@Example.com"), 10), 1);
        QCOMPARE(rcpts(QStringLiteral("clerk@example.com"), 10), 3);
        QCOMPARE(rcpts(QStringLiteral("temp@example.com"), 10), 3); // per address, not per domain
        QCOMPARE(rcpts(QStringLiteral("x@sub.example.com"), 10), 5);
        QCOMPARE(rcpts(QStringLiteral("y@other.org"), 10), 5);
        QCOMPARE(rcpts(QString(), 50), 50); // null sender exempt from sender rules
    }

    void checksAreAtomic()
    {
        RateLimiter lim(clock());
        lim.setRules({
            rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Recipients, 60, 10),
            rule(LimitScope::Sender, QStringLiteral("*"), LimitMetric::Recipients, 60, 3),
        });
        const QString ip = QStringLiteral("10.9.9.9");
        for (int i = 0; i < 3; ++i)
            QVERIFY(!lim.recipient(ip, QString(), QStringLiteral("s1@example.com")));
        for (int i = 0; i < 5; ++i) {
            const auto r = lim.recipient(ip, QString(), QStringLiteral("s1@example.com"));
            QVERIFY(r);
            QCOMPARE(r->rule.scope, LimitScope::Sender);
            QCOMPARE(r->key, QStringLiteral("s1@example.com"));
        }
        // The five refusals did not count for the IP: 7 more fit under its 10.
        int ok = 0;
        for (int i = 0; i < 20; ++i)
            ok += !lim.recipient(ip, QString(), QStringLiteral("s%1@example.com").arg(i + 2));
        QCOMPARE(ok, 7);
        const auto r = lim.recipient(ip, QString(), QStringLiteral("fresh@example.com"));
        QVERIFY(r);
        QCOMPARE(r->rule.scope, LimitScope::ClientIp);

        // Connections and concurrency are checked together too.
        RateLimiter c(clock());
        c.setRules({rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Connections, 60, 5),
                    rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Concurrent, 60, 2)});
        QVERIFY(!c.connect(ip));
        QVERIFY(!c.connect(ip));
        for (int i = 0; i < 4; ++i) {
            const auto refusal = c.connect(ip);
            QVERIFY(refusal);
            QCOMPARE(refusal->rule.metric, LimitMetric::Concurrent);
            QCOMPARE(refusal->retryAfterSeconds, 0);
        }
        c.disconnect(ip);
        QVERIFY(!c.connect(ip)); // third counted connection: the 4 refused ones did not count
        c.disconnect(ip);
        QVERIFY(!c.connect(ip));
        c.disconnect(ip);
        QVERIFY(!c.connect(ip)); // fifth
        c.disconnect(ip);
        const auto refusal = c.connect(ip);
        QVERIFY(refusal);
        QCOMPARE(refusal->rule.metric, LimitMetric::Connections);
        QCOMPARE(refusal->used, 5);
    }

    void longestWaitIsReported()
    {
        RateLimiter lim(clock());
        lim.setRules({rule(LimitScope::Sender, QStringLiteral("*"), LimitMetric::Messages, 60, 1),
                      rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 3600, 1)});
        QVERIFY(!lim.message(QStringLiteral("10.0.0.1"), QString(), QStringLiteral("a@b.c")));
        const auto r = lim.message(QStringLiteral("10.0.0.1"), QString(), QStringLiteral("a@b.c"));
        QVERIFY(r);
        QCOMPARE(r->rule.windowSeconds, 3600);
        // Both refusing rules recorded the refusal.
        const QList<LimitUsage> u = lim.usage(10);
        QCOMPARE(u.size(), 2);
        for (const LimitUsage &x : u)
            QCOMPARE(x.refused, qint64(1));
    }

    void concurrentSessions()
    {
        RateLimiter lim(clock());
        lim.setRules({rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Concurrent, 60, 3),
                      rule(LimitScope::ClientIp, QStringLiteral("127.0.0.0/8"), LimitMetric::Concurrent, 60, 0)});
        const QString a = QStringLiteral("10.0.0.1");
        const QString b = QStringLiteral("10.0.0.2");
        for (int i = 0; i < 3; ++i) {
            QVERIFY(!lim.connect(a));
            QVERIFY(!lim.connect(b));
        }
        auto r = lim.connect(a);
        QVERIFY(r);
        QCOMPARE(r->used, 3);
        QVERIFY2(r->text.startsWith(QStringLiteral("client 10.0.0.1 has 3 sessions open")), qPrintable(r->text));
        lim.disconnect(a);
        QVERIFY(!lim.connect(a));
        QVERIFY(lim.connect(a));
        QVERIFY(lim.connect(b));
        // Extra disconnects are ignored: never below zero.
        for (int i = 0; i < 10; ++i)
            lim.disconnect(a);
        lim.disconnect(QStringLiteral("203.0.113.99"));
        QCOMPARE(allowedOf(lim, LimitMetric::Concurrent, a, 10), 3);
        QCOMPARE(allowedOf(lim, LimitMetric::Concurrent, QStringLiteral("127.0.0.1"), 100), 100);
        // The time does not free sessions.
        m_now += 7 * 86400 * 1000LL;
        QVERIFY(lim.connect(a));
    }

    void outboundThrottle()
    {
        RateLimiter lim(clock());
        lim.setRules({
            rule(LimitScope::Connector, QStringLiteral("*"), LimitMetric::Concurrent, 60, 2),
            rule(LimitScope::Domain, QStringLiteral("example.com"), LimitMetric::Concurrent, 60, 1),
            rule(LimitScope::Connector, QStringLiteral("Smarthost"), LimitMetric::Messages, 60, 5),
            rule(LimitScope::Domain, QStringLiteral("*"), LimitMetric::Messages, 3600, 3),
        });
        const QString sh = QStringLiteral("smarthost");
        QVERIFY(lim.mayOpenConnection(sh, QStringLiteral("example.com")));
        Refusal why;
        QVERIFY(!lim.mayOpenConnection(sh, QStringLiteral("Example.COM."), &why));
        QCOMPARE(why.rule.scope, LimitScope::Domain);
        QVERIFY2(why.text.startsWith(QStringLiteral("domain example.com has 1 connection open")), qPrintable(why.text));
        QVERIFY(lim.mayOpenConnection(sh, QStringLiteral("other.org")));
        QVERIFY(!lim.mayOpenConnection(sh, QStringLiteral("third.net"), &why));
        QCOMPARE(why.rule.scope, LimitScope::Connector);
        QVERIFY(lim.mayOpenConnection(QStringLiteral("backup"), QStringLiteral("third.net")));
        lim.connectionClosed(sh, QStringLiteral("example.com"));
        QVERIFY(lim.mayOpenConnection(sh, QStringLiteral("third.net")));

        // Messages: 5 per minute through the smarthost, 3 per hour per domain.
        int started = 0;
        qint64 retryAt = 0;
        for (int i = 0; i < 20; ++i)
            started += lim.mayStartMessage(sh, QStringLiteral("d%1.example").arg(i / 3), &retryAt);
        QCOMPARE(started, 5);
        QVERIFY(retryAt > m_now && retryAt <= m_now + 61000);
        m_now = retryAt;
        QVERIFY(lim.mayStartMessage(sh, QStringLiteral("fresh.example"), &retryAt));
        started = 0;
        for (int i = 0; i < 10; ++i)
            started += lim.mayStartMessage(QStringLiteral("backup"), QStringLiteral("busy.example"), &retryAt, &why);
        QCOMPARE(started, 3);
        QCOMPARE(why.rule.windowSeconds, 3600);
        QVERIFY(retryAt > m_now + 3500 * 1000 && retryAt <= m_now + 3661 * 1000);
    }

    void setRulesKeepsCounters()
    {
        RateLimiter lim(clock());
        const QString ip = QStringLiteral("10.0.0.7");
        lim.setRules({rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 60, 10),
                      rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Concurrent, 60, 2)});
        QCOMPARE(allowedOf(lim, LimitMetric::Messages, ip, 7), 7);
        QVERIFY(!lim.connect(ip));
        QVERIFY(!lim.connect(ip));
        // Same rule, new maximum, plus a new rule: the 7 stay counted.
        auto r8 = rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 60, 8);
        r8.comment = QStringLiteral("tighter");
        lim.setRules({rule(LimitScope::User, QStringLiteral("*"), LimitMetric::Messages, 60, 100), r8,
                      rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Concurrent, 60, 2)});
        QCOMPARE(allowedOf(lim, LimitMetric::Messages, ip, 5), 1);
        QVERIFY(lim.connect(ip)); // open sessions survive too
        // Another window is another rule: fresh counters.
        lim.setRules({rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 3600, 8)});
        QCOMPARE(allowedOf(lim, LimitMetric::Messages, ip, 20), 8);
        // Removed and added again: dropped.
        lim.setRules({});
        QCOMPARE(lim.keyCount(), 0);
        lim.setRules({rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 3600, 8)});
        QCOMPARE(allowedOf(lim, LimitMetric::Messages, ip, 20), 8);
        // Disabled rules do not apply.
        auto off = rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 3600, 1);
        off.enabled = false;
        lim.setRules({off});
        QCOMPARE(allowedOf(lim, LimitMetric::Messages, ip, 20), 20);
    }

    void saveAndLoadThroughConfigDb()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString conn = rd::storage::uniqueConnectionName(QStringLiteral("tst-ratelimiter"));
        {
            QString error;
            QSqlDatabase db = rd::storage::openDatabase(dir.path(), rd::storage::DbKind::Config, conn, {}, &error);
            QVERIFY2(db.isOpen(), qPrintable(error));
            const QList<RateLimitRule> rules = {
                rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 3600, 5),
                rule(LimitScope::User, QStringLiteral("*"), LimitMetric::Messages, 86400, 3),
                rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 60, 2),
            };
            const QString ip = QStringLiteral("10.0.0.1");
            const QString user = QStringLiteral("carol");
            RateLimiter a(clock());
            a.setRules(rules);
            // 3 messages now, 2 more 40 minutes later: the hour limit is full.
            for (int i = 0; i < 3; ++i) {
                QVERIFY(!a.message(ip, user, QString()));
                m_now += 31 * 1000; // the third one 62 s later: past the minute limit of 2
            }
            m_now = kT0 + 40 * 60 * 1000;
            QVERIFY(!a.message(ip, QString(), QString()));
            QVERIFY(!a.message(ip, QString(), QString()));
            QVERIFY(a.message(ip, QString(), QString()));
            QVERIFY2(a.save(db, &error), qPrintable(error));
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("SELECT window_s, SUM(count) FROM rate_counters GROUP BY window_s"
                                          " ORDER BY window_s")));
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toInt(), 3600);
            QCOMPARE(q.value(1).toInt(), 5);
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toInt(), 86400);
            QCOMPARE(q.value(1).toInt(), 3);
            QVERIFY(!q.next()); // the minute window is not persisted

            // Restart 10 minutes later: hour and day limits still full, the minute one fresh.
            m_now = kT0 + 50 * 60 * 1000;
            RateLimiter b(clock());
            b.setRules(rules);
            QVERIFY2(b.load(db, &error), qPrintable(error));
            QCOMPARE(b.keyCount(), 2);
            auto r = b.message(ip, QString(), QString());
            QVERIFY(r);
            QCOMPARE(r->rule.windowSeconds, 3600);
            QCOMPARE(r->used, 5);
            r = b.message(QStringLiteral("10.0.0.2"), user, QString());
            QVERIFY(r);
            QCOMPARE(r->rule.scope, LimitScope::User);

            // Down for a while: the three early messages left the hour (61
            // minutes bounds the granule), the two later ones still count.
            m_now = kT0 + 62 * 60 * 1000;
            RateLimiter c(clock());
            c.setRules(rules);
            QVERIFY2(c.load(db, &error), qPrintable(error));
            QCOMPARE(allowedOf(c, LimitMetric::Messages, ip, 10), 2); // minute limit 2 first
            m_now += 61 * 1000;
            QCOMPARE(allowedOf(c, LimitMetric::Messages, ip, 10), 1); // 2 + 2 + 1 = 5 in the hour
            QVERIFY(c.message(QStringLiteral("10.0.0.3"), user, QString()));

            // load() before the first setRules() (the engine's start-up order):
            // the rows wait for the rules; a save() in between keeps them.
            m_now = kT0 + 50 * 60 * 1000;
            {
                RateLimiter early(clock());
                QVERIFY2(early.load(db, &error), qPrintable(error));
                QCOMPARE(early.keyCount(), 0);
                QVERIFY2(early.save(db, &error), qPrintable(error));
                QVERIFY(q.exec(QStringLiteral("SELECT SUM(count) FROM rate_counters")));
                QVERIFY(q.next());
                QCOMPARE(q.value(0).toInt(), 8);
                early.setRules({rules.at(0), rules.at(2)}); // the day rule is gone
                QCOMPARE(early.keyCount(), 1);
                auto refusal = early.message(ip, user, QString());
                QVERIFY(refusal);
                QCOMPARE(refusal->rule.windowSeconds, 3600);
                QCOMPARE(refusal->used, 5);
                early.setRules(rules); // dropped for good: only the first setRules() adopts held rows
                QVERIFY(!early.message(QStringLiteral("10.0.0.4"), user, QString()));
            }

            // After a day everything is gone; rules that no longer exist are dropped.
            m_now = kT0 + 86400LL * 1000 + 3600 * 1000;
            RateLimiter d(clock());
            d.setRules({rules.at(0)});
            QVERIFY2(d.load(db, &error), qPrintable(error));
            QCOMPARE(d.keyCount(), 0);
            m_now = kT0 + 50 * 60 * 1000;
            RateLimiter e(clock());
            e.setRules({rules.at(1)}); // only the day rule
            QVERIFY2(e.load(db, &error), qPrintable(error));
            QCOMPARE(e.keyCount(), 1);
            QVERIFY2(e.save(db, &error), qPrintable(error)); // replaces all rows
            QVERIFY(q.exec(QStringLiteral("SELECT COUNT(DISTINCT window_s), SUM(count) FROM rate_counters")));
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toInt(), 1);
            QCOMPARE(q.value(1).toInt(), 3);
        }
        rd::storage::closeDatabase(conn);
    }

    void loadReportsDatabaseErrors()
    {
        QTemporaryDir dir;
        const QString conn = rd::storage::uniqueConnectionName(QStringLiteral("tst-ratelimiter-bad"));
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), conn);
            db.setDatabaseName(dir.filePath(QStringLiteral("empty.db")));
            QVERIFY(db.open());
            RateLimiter lim(clock());
            lim.setRules({rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 3600, 1)});
            QVERIFY(!lim.message(QStringLiteral("10.0.0.1"), QString(), QString()));
            QString error;
            QVERIFY(!lim.load(db, &error));
            QVERIFY2(error.startsWith(QStringLiteral("rate counters: ")), qPrintable(error));
            QVERIFY(lim.message(QStringLiteral("10.0.0.1"), QString(), QString())); // counters unchanged
            error.clear();
            QVERIFY(!lim.save(db, &error));
            QVERIFY(!error.isEmpty());
        }
        rd::storage::closeDatabase(conn);
    }

    void keyCapUsesAnOverflowCounter()
    {
        RateLimiter lim(clock());
        lim.setMaxKeys(10);
        lim.setRules({rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Connections, 60, 3)});
        for (int i = 0; i < 10; ++i)
            QCOMPARE(allowedOf(lim, LimitMetric::Connections, QStringLiteral("10.0.0.%1").arg(i), 1), 1);
        QCOMPARE(lim.keyCount(), 10);
        // New addresses share one overflow counter, still limited to 3.
        int ok = 0;
        std::optional<Refusal> last;
        for (int i = 0; i < 50; ++i) {
            last = attempt(lim, LimitMetric::Connections, QStringLiteral("172.16.0.%1").arg(i));
            ok += !last;
        }
        QCOMPARE(ok, 3);
        QVERIFY(last);
        QCOMPARE(last->key, RateLimiter::kOverflowKey);
        QVERIFY2(last->text.contains(QStringLiteral("beyond the tracking cap (including 172.16.0.49)")),
                 qPrintable(last->text));
        QCOMPARE(lim.keyCount(), 10);
        // Tracked addresses keep their own exact counts.
        QCOMPARE(allowedOf(lim, LimitMetric::Connections, QStringLiteral("10.0.0.1"), 10), 2);
        // Idle keys expire; new addresses get their own counters again.
        m_now += 62 * 1000;
        QCOMPARE(allowedOf(lim, LimitMetric::Connections, QStringLiteral("172.16.1.1"), 10), 3);
        QVERIFY(lim.keyCount() <= 2);

        // A flood of distinct sources never grows past the cap.
        RateLimiter flood(clock());
        flood.setMaxKeys(1000);
        flood.setRules({rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 86400, 1000000),
                        rule(LimitScope::Sender, QStringLiteral("*"), LimitMetric::Messages, 3600, 1000000)});
        for (quint32 i = 0; i < 100000; ++i) {
            if (i % 1000 == 0)
                m_now += 1500;
            flood.message(QHostAddress(0x0a000000u + i).toString(), QString(),
                          QStringLiteral("u%1@example.com").arg(i));
            if (flood.keyCount() > 1000)
                QFAIL("key cap exceeded");
        }
        QCOMPARE(flood.keyCount(), 1000);
        const QList<LimitUsage> u = flood.usage(5);
        QCOMPARE(u.size(), 5);
        QCOMPARE(u.first().key, RateLimiter::kOverflowKey); // the busiest counter
    }

    void usageShowsBusiestFirst()
    {
        RateLimiter lim(clock());
        lim.setRules({rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 60, 10),
                      rule(LimitScope::ClientIp, QStringLiteral("10.0.0.9"), LimitMetric::Messages, 60, 0),
                      rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Concurrent, 60, 4)});
        allowedOf(lim, LimitMetric::Messages, QStringLiteral("10.0.0.1"), 12); // 10 used, 2 refused
        allowedOf(lim, LimitMetric::Messages, QStringLiteral("10.0.0.2"), 5);
        allowedOf(lim, LimitMetric::Messages, QStringLiteral("10.0.0.9"), 50); // exempt
        QVERIFY(!lim.connect(QStringLiteral("10.0.0.3")));
        QVERIFY(!lim.connect(QStringLiteral("10.0.0.3")));
        QVERIFY(!lim.connect(QStringLiteral("10.0.0.3")));
        m_now += 10 * 1000;
        const QList<LimitUsage> u = lim.usage(10);
        QCOMPARE(u.size(), 3);
        QCOMPARE(u.at(0).key, QStringLiteral("10.0.0.1"));
        QCOMPARE(u.at(0).used, 10);
        QCOMPARE(u.at(0).refused, qint64(2));
        QVERIFY(u.at(0).overLimit());
        QVERIFY(u.at(0).resetSeconds > 49 && u.at(0).resetSeconds <= 51);
        QCOMPARE(u.at(1).key, QStringLiteral("10.0.0.3"));
        QCOMPARE(u.at(1).rule.metric, LimitMetric::Concurrent);
        QCOMPARE(u.at(1).used, 3);
        QCOMPARE(u.at(1).maximum, 4);
        QCOMPARE(u.at(2).key, QStringLiteral("10.0.0.2"));
        QCOMPARE(lim.usage(1).size(), 1);
        QCOMPARE(lim.usage(0).size(), 0);
        m_now += 60 * 1000;
        QCOMPARE(lim.usage(10).size(), 1); // only the open sessions remain
    }

    void badInputIsHarmless()
    {
        RateLimiter lim(clock());
        lim.setRules({rule(LimitScope::ClientIp, QStringLiteral("not-a-cidr/99"), LimitMetric::Messages, 60, 1),
                      rule(LimitScope::ClientIp, QStringLiteral(""), LimitMetric::Messages, 60, 1),
                      rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 0, 2),
                      rule(LimitScope::User, QStringLiteral("*"), LimitMetric::Messages, -5, -3),
                      rule(LimitScope::Connector, QStringLiteral("*"), LimitMetric::Recipients, 60, 1)});
        QCOMPARE(allowedOf(lim, LimitMetric::Messages, QStringLiteral("garbage ip"), 5), 2);
        QCOMPARE(allowedOf(lim, LimitMetric::Messages, QString(), 5), 5); // no key, no limit
        QVERIFY(!lim.message(QStringLiteral("10.0.0.1"), QStringLiteral("u"), QStringLiteral("<>")));
        lim.disconnect(QString());
        lim.connectionClosed(QString(), QString());
        qint64 at = 0;
        QVERIFY(lim.mayStartMessage(QString(), QString(), &at));
        QVERIFY(lim.mayStartMessage(QStringLiteral("c"), QStringLiteral("d"), nullptr));
        m_now = kT0 - 3600 * 1000; // the clock steps back
        QVERIFY(lim.message(QStringLiteral("garbage ip"), QString(), QString()));
        QVERIFY(lim.usage(100).size() >= 1);
    }

    void benchmark()
    {
        RateLimiter lim(clock());
        lim.setRules({
            rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 60, 100),
            rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 3600, 1000),
            rule(LimitScope::ClientIp, QStringLiteral("10.0.0.0/8"), LimitMetric::Messages, 60, 500),
            rule(LimitScope::User, QStringLiteral("*"), LimitMetric::Messages, 86400, 5000),
            rule(LimitScope::Sender, QStringLiteral("*"), LimitMetric::Messages, 3600, 1000),
            rule(LimitScope::Sender, QStringLiteral("@example.com"), LimitMetric::Messages, 3600, 100),
        });
        const int n = 200000;
        QStringList ips;
        for (int i = 0; i < 5000; ++i)
            ips << QHostAddress(0xc0a80000u + quint32(i)).toString();
        QElapsedTimer timer;
        timer.start();
        int refused = 0;
        for (int i = 0; i < n; ++i) {
            if (i % 100 == 0)
                m_now += 100;
            refused += lim.message(ips.at(i % ips.size()), QStringLiteral("user%1").arg(i % 50),
                                   QStringLiteral("s%1@example.org").arg(i % 2000))
                           .has_value();
        }
        const qint64 ms = std::max<qint64>(1, timer.elapsed());
        qDebug("RateLimiter: %d message checks (6 rules, 5000 IPs) in %lld ms = %.0f checks/s, %d refused, %d keys",
               n, ms, n * 1000.0 / ms, refused, lim.keyCount());
        timer.restart();
        const QList<LimitUsage> u = lim.usage(200);
        qDebug("RateLimiter: usage(200) over %d keys in %lld ms", lim.keyCount(), timer.elapsed());
        QCOMPARE(u.size(), 200);
    }
};

QTEST_GUILESS_MAIN(TestRateLimiter)
#include "tst_ratelimiter.moc"
