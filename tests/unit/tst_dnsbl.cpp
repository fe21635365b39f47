// rd::policy::DnsblChecker against a real DNS server: NSD serving the test
// block lists of tests/data/dnsbl/zones.json on 127.0.0.1 (started through
// tests/integration/dnsserver.py, as tst_resolver does), asked through the
// project's CaresResolver with its own cache off, so every query the checker
// makes reaches NSD. A thin wrapper resolver counts and (optionally) delays
// the answers of one zone to test zone order. Plus the pure parts: query
// names, answer classification and the cache.
// Needs /usr/sbin/nsd (scripts/deps.sh).

#include "dns/caresresolver.h"
#include "policy/dnsbl.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTest>
#include <QTimer>
#include <QUdpSocket>

#include <memory>
#include <optional>

using namespace rd;
using namespace rd::policy;

namespace {

const QString kNsd = QStringLiteral("/usr/sbin/nsd");
const QString kPython = QStringLiteral("/usr/bin/python3");
const QString kCodes = QStringLiteral("127.0.0.2=SBL spam source; 127.0.0.4-127.0.0.7=XBL exploited host");

// Passes lookups to a real resolver; counts them per name and holds the
// answers of names under `slowZone` for `delayMs`.
class CountingResolver : public dns::Resolver {
public:
    explicit CountingResolver(dns::Resolver *inner) : m_inner(inner) {}
    QHash<QString, int> asked; // "name/TYPE" -> lookups
    int total = 0;
    QString slowZone;
    int delayMs = 0;

protected:
    void startLookup(dns::RequestId id, const QString &name, dns::RecordType type) override
    {
        ++asked[name + QLatin1Char('/') + dns::recordTypeName(type)];
        ++total;
        const bool slow = !slowZone.isEmpty() && name.endsWith(QLatin1Char('.') + slowZone);
        m_inner->lookup(name, type, this, [this, id, slow](const dns::Answer &a) {
            if (slow)
                QTimer::singleShot(delayMs, this, [this, id, a] { finish(id, a); });
            else
                finish(id, a);
        });
    }
    void cancelLookup(dns::RequestId) override {}

private:
    dns::Resolver *m_inner;
};

config::DnsblZone zone(const QString &name, const QString &codes = QString(), bool enabled = true)
{
    config::DnsblZone z;
    z.zone = name;
    z.codes = codes;
    z.enabled = enabled;
    return z;
}

QHostAddress ip(const char *text)
{
    return QHostAddress(QString::fromLatin1(text));
}

dns::Answer aAnswer(std::initializer_list<const char *> addresses, quint32 ttl = 300)
{
    dns::Answer a;
    a.status = dns::Status::Ok;
    a.ttl = ttl;
    for (const char *s : addresses)
        a.addresses.append({ip(s), ttl});
    return a;
}

} // namespace

class TstDnsbl : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        if (!QFile::exists(kNsd))
            QFAIL("nsd not found at /usr/sbin/nsd: run scripts/deps.sh (apt-get install nsd)");
        const QString script = QFINDTESTDATA("../integration/dnsserver.py");
        const QString spec = QFINDTESTDATA("../data/dnsbl/zones.json");
        QVERIFY2(QFile::exists(script), "tests/integration/dnsserver.py not found");
        QVERIFY2(QFile::exists(spec), "tests/data/dnsbl/zones.json not found");
        m_server = new QProcess(this);
        m_server->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_server->start(kPython, {script, QStringLiteral("--zone-file"), spec, QStringLiteral("--stop-on-eof")});
        QVERIFY2(m_server->waitForStarted(5000), qPrintable(m_server->errorString()));
        QByteArray out;
        QVERIFY2(QTest::qWaitFor([&] {
                     out += m_server->readAllStandardOutput();
                     return out.contains('\n') || m_server->state() == QProcess::NotRunning;
                 }, 30000),
                 "dnsserver.py did not print ready");
        const QList<QByteArray> words = out.trimmed().split(' ');
        QVERIFY2(words.size() == 3 && words[0] == "ready", out.constData());
        m_serverSpec = QStringLiteral("%1:%2").arg(QString::fromLatin1(words[1]), QString::fromLatin1(words[2]));
    }

    void cleanupTestCase()
    {
        if (!m_server)
            return;
        m_server->terminate();
        if (!m_server->waitForFinished(10000)) {
            m_server->kill();
            m_server->waitForFinished(3000);
        }
    }

    void init()
    {
        dns::ResolverConfig c;
        c.servers = {m_serverSpec};
        c.timeoutMs = 2000;
        c.tries = 2;
        c.cacheEnabled = false; // the checker's own cache is under test
        m_cares = std::make_unique<dns::CaresResolver>(c);
        QVERIFY2(m_cares->isValid(), qPrintable(m_cares->errorString()));
        m_counting = std::make_unique<CountingResolver>(m_cares.get());
        m_checker = std::make_unique<DnsblChecker>(m_counting.get());
        QStringList errors;
        m_checker->setZones({zone(QStringLiteral("bl.test"), kCodes), zone(QStringLiteral("bl2.test"))}, &errors);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.join(QLatin1Char('\n'))));
    }

    void cleanup()
    {
        m_checker.reset();
        m_counting.reset();
        m_cares.reset();
    }

    // ---------------------------------------------------------------- pure parts

    void queryNames()
    {
        const QString z = QStringLiteral("bl.test");
        QCOMPARE(dnsblQueryName(ip("192.0.2.99"), z), QStringLiteral("99.2.0.192.bl.test"));
        QCOMPARE(dnsblQueryName(ip("::ffff:192.0.2.99"), z), QStringLiteral("99.2.0.192.bl.test"));
        QCOMPARE(dnsblQueryName(ip("192.0.2.99"), QStringLiteral(" .Zen.Example.  ")),
                 QStringLiteral("99.2.0.192.zen.example"));
        // RFC 5782 section 2.4 example: 2001:db8:1:2:3:4:567:89ab.
        QCOMPARE(dnsblQueryName(ip("2001:db8:1:2:3:4:567:89ab"), QStringLiteral("ugly.example.com")),
                 QStringLiteral("b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ugly.example.com"));
        QCOMPARE(dnsblQueryName(QHostAddress(), z), QString());
        QCOMPARE(dnsblQueryName(ip("192.0.2.1"), QString()), QString());
    }

    void classify()
    {
        QList<config::DnsblCode> codes;
        QString why;
        QVERIFY(config::parseDnsblCodes(kCodes, &codes, &why));

        DnsblZoneOutcome o = classifyDnsblAnswer(aAnswer({"127.0.0.5"}), codes);
        QCOMPARE(o.verdict, DnsblVerdict::Listed);
        QCOMPARE(o.meaning, QStringLiteral("XBL exploited host"));
        QCOMPARE(o.ttl, 300u);
        // A code no range covers is no listing when ranges are configured ...
        QCOMPARE(classifyDnsblAnswer(aAnswer({"127.0.0.10"}), codes).verdict, DnsblVerdict::NotListed);
        // ... and a listing without them.
        o = classifyDnsblAnswer(aAnswer({"127.0.0.10"}), {});
        QCOMPARE(o.verdict, DnsblVerdict::Listed);
        QCOMPARE(o.meaning, QStringLiteral("listed"));
        // Every Spamhaus error code, even next to a valid code, and even
        // when no ranges are configured.
        for (const char *err : {"127.255.255.252", "127.255.255.253", "127.255.255.254", "127.255.255.255"}) {
            o = classifyDnsblAnswer(aAnswer({"127.0.0.2", err}), {});
            QCOMPARE(o.verdict, DnsblVerdict::Error);
            QCOMPARE(o.answer, ip(err));
            QVERIFY2(o.error.contains(QString::fromLatin1(err)), qPrintable(o.error));
            QVERIFY(!o.temporary);
        }
        o = classifyDnsblAnswer(aAnswer({"10.0.0.1"}), {});
        QCOMPARE(o.verdict, DnsblVerdict::Error);
        QVERIFY(o.error.contains(QStringLiteral("outside 127.0.0.0/8")));
        dns::Answer v6 = aAnswer({});
        v6.addresses.append({ip("::1"), 60});
        QCOMPARE(classifyDnsblAnswer(v6, {}).verdict, DnsblVerdict::Error);

        dns::Answer nx;
        nx.status = dns::Status::NxDomain;
        nx.ttl = 120;
        o = classifyDnsblAnswer(nx, codes);
        QCOMPARE(o.verdict, DnsblVerdict::NotListed);
        QCOMPARE(o.ttl, 120u);
        for (dns::Status s : {dns::Status::Timeout, dns::Status::ServerFailure, dns::Status::Malformed}) {
            dns::Answer f;
            f.status = s;
            o = classifyDnsblAnswer(f, codes);
            QCOMPARE(o.verdict, DnsblVerdict::Error);
            QVERIFY(o.temporary);
            QVERIFY2(o.error.contains(dns::statusName(s)), qPrintable(o.error));
        }
    }

    void cacheLimits()
    {
        DnsblCacheLimits lim;
        lim.minTtl = 60;
        lim.maxTtl = 3600;
        lim.negativeTtl = 300;
        lim.failureTtl = 0;
        lim.maxEntries = 3;
        DnsblCache cache(lim);
        DnsblZoneOutcome listed;
        listed.verdict = DnsblVerdict::Listed;
        listed.ttl = 5; // raised to 60
        QCOMPARE(cache.lifetime(listed), 60u);
        listed.ttl = 86400; // cut to 3600
        QCOMPARE(cache.lifetime(listed), 3600u);
        DnsblZoneOutcome negative; // no TTL from the DNS: negativeTtl
        QCOMPARE(cache.lifetime(negative), 300u);
        DnsblZoneOutcome failed;
        failed.verdict = DnsblVerdict::Error;
        failed.temporary = true;
        QCOMPARE(cache.lifetime(failed), 0u);
        cache.insert(QStringLiteral("f.bl.test"), failed, 0);
        QCOMPARE(cache.size(), 0);

        listed.ttl = 100;
        cache.insert(QStringLiteral("A.bl.test"), listed, 0);   // expires at 100 s
        listed.ttl = 200;
        cache.insert(QStringLiteral("b.bl.test"), listed, 0);   // 200 s
        cache.insert(QStringLiteral("c.bl.test"), negative, 0); // 300 s
        QCOMPARE(cache.size(), 3);
        QVERIFY(cache.find(QStringLiteral("a.BL.test"), 1000)); // case-insensitive
        QCOMPARE(cache.find(QStringLiteral("a.bl.test"), 40500)->ttl, 59u);
        // Full: the entry expiring first goes.
        cache.insert(QStringLiteral("d.bl.test"), negative, 1000);
        QCOMPARE(cache.size(), 3);
        QVERIFY(!cache.find(QStringLiteral("a.bl.test"), 1000));
        QVERIFY(cache.find(QStringLiteral("b.bl.test"), 1000));
        // Expiry.
        QVERIFY(!cache.find(QStringLiteral("b.bl.test"), 200000));
        QCOMPARE(cache.purge(299999), 2);
        QCOMPARE(cache.purge(300000), 1);
        lim.maxEntries = 0;
        cache.setLimits(lim, 0);
        QCOMPARE(cache.size(), 0);
    }

    // ---------------------------------------------------------------- against NSD

    void listedWithReason()
    {
        const DnsblResult r = check(ip("127.0.0.2"));
        QVERIFY(r.listed);
        QCOMPARE(r.zone, QStringLiteral("bl.test"));
        QCOMPARE(r.answer, ip("127.0.0.2"));
        QCOMPARE(r.meaning, QStringLiteral("SBL spam source"));
        QCOMPARE(r.reason, QStringLiteral("Listed by bl.test: see https://bl.test/lookup?ip=127.0.0.2"));
        QVERIFY(!r.fromCache);
        QVERIFY(r.errors.isEmpty());
        QVERIFY(r.summary().startsWith(QStringLiteral("dnsbl=listed zone=bl.test answer=127.0.0.2")));
    }

    void notListed()
    {
        DnsblResult r = check(ip("127.0.0.1"));
        QVERIFY(!r.listed);
        QVERIFY(r.errors.isEmpty());
        QCOMPARE(r.summary(), QStringLiteral("dnsbl=pass"));
        // The name exists with a TXT record only (NODATA for A): not listed.
        r = check(ip("127.0.0.12"));
        QVERIFY(!r.listed);
        QVERIFY(r.errors.isEmpty());
    }

    void codeMeanings()
    {
        DnsblResult r = check(ip("127.0.0.3"));
        QVERIFY(r.listed);
        QCOMPARE(r.zone, QStringLiteral("bl.test"));
        QCOMPARE(r.answer, ip("127.0.0.4"));
        QCOMPARE(r.meaning, QStringLiteral("XBL exploited host"));
        r = check(ip("127.0.0.8")); // 127.0.0.2 and 127.0.0.4 at once
        QVERIFY(r.listed);
        QCOMPARE(r.meaning, QStringLiteral("SBL spam source; XBL exploited host"));
        // 127.0.0.10 is outside the configured ranges: not listed ...
        r = check(ip("127.0.0.7"));
        QVERIFY(!r.listed);
        QVERIFY(r.errors.isEmpty());
        // ... but any 127/8 answer lists when the zone has no codes (a
        // verdict cached under other codes does not apply).
        m_checker->setZones({zone(QStringLiteral("bl.test"))});
        r = check(ip("127.0.0.7"));
        QVERIFY(r.listed);
        QVERIFY(!r.fromCache);
        QCOMPARE(r.answer, ip("127.0.0.10"));
        QCOMPARE(r.meaning, QStringLiteral("listed"));
    }

    void errorCodesAreNotListings()
    {
        m_checker->setZones({zone(QStringLiteral("bl.test"))}); // no codes: the widest net
        struct Case { const char *client; const char *answer; const char *words; };
        const Case cases[] = {
            {"127.0.0.4", "127.255.255.254", "public/open resolver"},
            {"127.0.0.9", "127.255.255.252", "typing error"},
            {"127.0.0.5", "10.0.0.1", "outside 127.0.0.0/8"},
        };
        for (const Case &c : cases) {
            const DnsblResult r = check(ip(c.client));
            QVERIFY2(!r.listed, c.client);
            QCOMPARE(r.errors.size(), 1);
            QCOMPARE(r.errors[0].zone, QStringLiteral("bl.test"));
            QVERIFY(!r.errors[0].temporary);
            QVERIFY2(r.errors[0].message.contains(QString::fromLatin1(c.answer))
                         && r.errors[0].message.contains(QString::fromLatin1(c.words)),
                     qPrintable(r.errors[0].toString()));
            QVERIFY(r.summary().contains(QStringLiteral("dnsbl_errors=1")));
        }
    }

    void ipv6AndMapped()
    {
        DnsblResult r = check(ip("2001:db8::1"));
        QVERIFY(r.listed);
        QCOMPARE(r.zone, QStringLiteral("bl.test"));
        QCOMPARE(r.client, ip("2001:db8::1"));
        QVERIFY(!check(ip("2001:db8::2")).listed);
        r = check(ip("::ffff:127.0.0.2"));
        QVERIFY(r.listed);
        QCOMPARE(r.client, ip("127.0.0.2"));
        QCOMPARE(m_counting->asked.value(QStringLiteral("2.0.0.127.bl.test/A")), 1);
    }

    void zoneOrder()
    {
        // Both list 127.0.0.3: the first zone in the list wins.
        QCOMPARE(check(ip("127.0.0.3")).zone, QStringLiteral("bl.test"));
        m_checker->setZones({zone(QStringLiteral("bl2.test")), zone(QStringLiteral("bl.test"), kCodes)});
        QCOMPARE(check(ip("127.0.0.3")).zone, QStringLiteral("bl2.test"));
        // Only the second zone lists it.
        m_checker->setZones({zone(QStringLiteral("bl.test"), kCodes), zone(QStringLiteral("bl2.test"))});
        DnsblResult r = check(ip("127.0.0.20"));
        QVERIFY(r.listed);
        QCOMPARE(r.zone, QStringLiteral("bl2.test"));
        QCOMPARE(r.meaning, QStringLiteral("listed"));
        // The first zone answers with an error code, the second lists: listed, error reported.
        r = check(ip("127.0.0.4"));
        QVERIFY(r.listed);
        QCOMPARE(r.zone, QStringLiteral("bl2.test"));
        QCOMPARE(r.errors.size(), 1);
        QCOMPARE(r.errors[0].zone, QStringLiteral("bl.test"));
        // Disabled zones are not asked.
        m_checker->setZones({zone(QStringLiteral("bl.test"), kCodes, false), zone(QStringLiteral("bl2.test"))});
        QCOMPARE(m_checker->zones(), QStringList{QStringLiteral("bl2.test")});
        const int before = m_counting->total;
        QVERIFY(!check(ip("127.0.0.99")).listed);
        QCOMPARE(m_counting->total - before, 1);
    }

    void laterListingWaitsForEarlierZone()
    {
        m_counting->slowZone = QStringLiteral("bl.test");
        m_counting->delayMs = 700;
        QElapsedTimer clock;
        clock.start();
        const DnsblResult r = check(ip("127.0.0.20")); // bl.test: NXDOMAIN (slow), bl2.test lists
        QVERIFY(r.listed);
        QCOMPARE(r.zone, QStringLiteral("bl2.test"));
        QVERIFY2(clock.elapsed() >= 650, qPrintable(QString::number(clock.elapsed())));
    }

    void firstZoneListingAnswersAtOnce()
    {
        m_counting->slowZone = QStringLiteral("bl2.test");
        m_counting->delayMs = 3000;
        m_checker->setFetchReasons(false);
        QElapsedTimer clock;
        clock.start();
        const DnsblResult r = check(ip("127.0.0.3")); // both list it; bl.test is first and fast
        QCOMPARE(r.zone, QStringLiteral("bl.test"));
        QVERIFY2(clock.elapsed() < 2000, qPrintable(QString::number(clock.elapsed())));
        QVERIFY(r.reason.isEmpty());
        QCOMPARE(m_counting->asked.value(QStringLiteral("3.0.0.127.bl.test/TXT")), 0);
        // The slow zone's answer still arrives and fills the cache.
        QVERIFY(QTest::qWaitFor([&] { return m_checker->cachedCount() == 2; }, 6000));
    }

    void cacheHits()
    {
        DnsblResult r = check(ip("127.0.0.2"));
        QVERIFY(r.listed && !r.fromCache);
        const int sent = int(m_cares->stats().queriesSent);
        QCOMPARE(sent, 3); // A in bl.test, TXT in bl.test, A in bl2.test
        QCOMPARE(m_checker->cachedCount(), 2);
        r = check(ip("127.0.0.2"));
        QVERIFY(r.listed && r.fromCache);
        QCOMPARE(r.reason, QStringLiteral("Listed by bl.test: see https://bl.test/lookup?ip=127.0.0.2"));
        QCOMPARE(int(m_cares->stats().queriesSent), sent); // nothing reached the DNS server
        // A negative answer is cached too (SOA minimum 120 s).
        QVERIFY(!check(ip("127.0.0.1")).listed);
        const int sent2 = int(m_cares->stats().queriesSent);
        QCOMPARE(sent2, sent + 2);
        QVERIFY(!check(ip("127.0.0.1")).listed);
        QCOMPARE(int(m_cares->stats().queriesSent), sent2);
        QCOMPARE(m_checker->cachedCount(), 4);
        // Concurrent checks of one client share the queries.
        m_checker->clearCache();
        int answered = 0;
        for (int i = 0; i < 5; ++i)
            m_checker->check(ip("127.0.0.3"), nullptr, [&](const DnsblResult &x) { answered += x.listed ? 1 : 0; });
        QVERIFY(QTest::qWaitFor([&] { return answered == 5; }, 10000));
        QCOMPARE(m_counting->asked.value(QStringLiteral("3.0.0.127.bl.test/A")), 1);
    }

    void ttlExpiry()
    {
        DnsblCacheLimits lim;
        lim.minTtl = 1;
        m_checker->setCacheLimits(lim);
        QVERIFY(check(ip("127.0.0.6")).listed); // TTL 2 s
        QVERIFY(check(ip("127.0.0.2")).listed); // TTL 300 s
        QVERIFY(check(ip("127.0.0.6")).fromCache);
        QCOMPARE(m_counting->asked.value(QStringLiteral("6.0.0.127.bl.test/A")), 1);
        QTest::qWait(2600);
        DnsblResult r = check(ip("127.0.0.6"));
        QVERIFY(r.listed && !r.fromCache);
        QCOMPARE(m_counting->asked.value(QStringLiteral("6.0.0.127.bl.test/A")), 2);
        QVERIFY(check(ip("127.0.0.2")).fromCache);
        QCOMPARE(m_counting->asked.value(QStringLiteral("2.0.0.127.bl.test/A")), 1);
    }

    void deadServerFailsOpen()
    {
        QUdpSocket silent; // bound, never answers
        QVERIFY(silent.bind(QHostAddress::LocalHost, 0));
        dns::ResolverConfig c;
        c.servers = {QStringLiteral("127.0.0.1:%1").arg(silent.localPort())};
        c.timeoutMs = 300;
        c.tries = 1;
        dns::CaresResolver dead(c);
        DnsblChecker checker(&dead);
        checker.setZones({zone(QStringLiteral("bl.test"), kCodes), zone(QStringLiteral("bl2.test"))});
        DnsblResult r = check(checker, ip("127.0.0.2"));
        QVERIFY(!r.listed);
        QCOMPARE(r.errors.size(), 2);
        QVERIFY(r.errors[0].temporary);
        QVERIFY2(r.errors[0].message.contains(QStringLiteral("timeout")), qPrintable(r.errors[0].toString()));

        // The checker's own deadline is shorter than the resolver's.
        c.timeoutMs = 5000;
        dns::CaresResolver slow(c);
        DnsblChecker quick(&slow);
        quick.setZones({zone(QStringLiteral("bl.test"))});
        quick.setTimeoutMs(250);
        QElapsedTimer clock;
        clock.start();
        r = check(quick, ip("127.0.0.2"));
        QVERIFY2(clock.elapsed() < 2000, qPrintable(QString::number(clock.elapsed())));
        QVERIFY(!r.listed);
        QCOMPARE(r.errors.size(), 1);
        QVERIFY(r.errors[0].message.contains(QStringLiteral("no answer within 250 ms")));
    }

    void contextDestroyedAndCancel()
    {
        int calls = 0;
        {
            auto context = std::make_unique<QObject>();
            m_checker->check(ip("127.0.0.2"), context.get(), [&](const DnsblResult &) { ++calls; });
        } // the client hung up before the answer
        const DnsblCheckId id = m_checker->check(ip("127.0.0.3"), nullptr, [&](const DnsblResult &) { ++calls; });
        m_checker->cancel(id);
        QVERIFY(QTest::qWaitFor([&] { return m_checker->pendingCount() == 0; }, 10000));
        QVERIFY(QTest::qWaitFor([&] { return m_checker->cachedCount() == 4; }, 10000));
        QTest::qWait(100);
        QCOMPARE(calls, 0);
        // The answers were kept for the next client.
        QVERIFY(check(ip("127.0.0.2")).fromCache);
        // A checker destroyed with checks running: no callback, no crash.
        auto doomed = std::make_unique<DnsblChecker>(m_counting.get());
        doomed->setZones({zone(QStringLiteral("bl.test"))});
        doomed->check(ip("127.0.0.8"), nullptr, [&](const DnsblResult &) { ++calls; });
        doomed.reset();
        QTest::qWait(300);
        QCOMPARE(calls, 0);
    }

    void alwaysAsyncAndEdgeCases()
    {
        QVERIFY(check(ip("127.0.0.2")).listed);
        bool called = false;
        m_checker->check(ip("127.0.0.2"), nullptr, [&](const DnsblResult &) { called = true; });
        QVERIFY(!called); // cached, still answered from the event loop
        QVERIFY(QTest::qWaitFor([&] { return called; }, 1000));

        DnsblResult r = check(QHostAddress());
        QVERIFY(!r.listed);
        QCOMPARE(r.errors.size(), 1);
        QVERIFY(r.errors[0].message.contains(QStringLiteral("not an IP address")));

        QStringList errors;
        m_checker->setZones({zone(QStringLiteral("bl.test"), QStringLiteral("10.0.0.1=bad")),
                             zone(QStringLiteral("bad..zone")), zone(QStringLiteral("bl2.test"))},
                            &errors);
        QCOMPARE(errors.size(), 2);
        QCOMPARE(m_checker->zones(), QStringList{QStringLiteral("bl2.test")});
        m_checker->setZones({});
        r = check(ip("127.0.0.2"));
        QVERIFY(!r.listed && r.errors.isEmpty());
    }

    void reasonIsSanitized()
    {
        const DnsblResult r = check(ip("127.0.0.11"));
        QVERIFY(r.listed);
        QVERIFY(!r.reason.isEmpty());
        for (QChar c : r.reason)
            QVERIFY2(c.unicode() >= 0x20 && c.unicode() < 0x7f, qPrintable(r.reason));
        QCOMPARE(r.reason, QStringLiteral("line one SMTP-injection: 250 okcaf?"));
    }

private:
    DnsblResult check(const QHostAddress &client) { return check(*m_checker, client); }

    static DnsblResult check(DnsblChecker &checker, const QHostAddress &client)
    {
        std::optional<DnsblResult> got;
        checker.check(client, nullptr, [&](const DnsblResult &r) { got = r; });
        if (got) // answered inside check(): a contract violation
            return DnsblResult{};
        if (!QTest::qWaitFor([&] { return got.has_value(); }, 15000))
            return DnsblResult{};
        return *got;
    }

    QProcess *m_server = nullptr;
    QString m_serverSpec;
    std::unique_ptr<dns::CaresResolver> m_cares;
    std::unique_ptr<CountingResolver> m_counting;
    std::unique_ptr<DnsblChecker> m_checker;
};

QTEST_GUILESS_MAIN(TstDnsbl)
#include "tst_dnsbl.moc"
