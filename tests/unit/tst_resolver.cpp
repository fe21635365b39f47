// rd::dns::CaresResolver against a real DNS server: NSD serving test zones on
// 127.0.0.1 and a free port, started through tests/integration/dnsserver.py
// (its command line prints "ready <address> <port>"). Plus the pure parts:
// server-list parsing, reverse names, the wire walker and the cache.
// Needs /usr/sbin/nsd (Debian: apt-get install nsd; scripts/deps.sh does it).

#include "dns/caresresolver.h"
#include "dns/dnswire.h"
#include "dns/resolvercache.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QUdpSocket>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>

using namespace rd::dns;

namespace {

const QString kNsd = QStringLiteral("/usr/sbin/nsd");
const QString kPython = QStringLiteral("/usr/bin/python3");

// The test zones for dnsserver.py: TTL 300 unless given, SOA MINIMUM 60 (the negative TTL).
// \u0022 is a JSON-escaped double quote: moc cannot read \" inside a raw string.
const char kZoneSpec[] = R"({"ttl": 300, "negative_ttl": 60, "zones": {
    "example.test": ["@ MX 20 mx2", "@ MX 10 mx1", "@ MX 30 mx3",
        "mx1 A 127.0.0.2", "mx2 A 127.0.0.3",
        "dual 120 A 127.0.0.4", "dual 60 AAAA 2001:db8::4", "v6only AAAA 2001:db8::6",
        "nullmx MX 0 .",
        "spf TXT \u0022v=spf1 ip4:127.0.0.0/8\u0022 \u0022 -all\u0022",
        "spf TXT \u0022second record\u0022",
        "alias 200 CNAME alias2", "alias2 CNAME mx1"],
    "0.0.127.in-addr.arpa": ["2 PTR mx1.example.test.", "4 PTR dual.example.test.",
        "4 PTR dual-alt.example.test."]}})";

QStringList addressStrings(const QList<AddressRecord> &records)
{
    QStringList out;
    for (const AddressRecord &r : records)
        out.append(r.address.toString());
    return out;
}

QStringList names(const QList<NameRecord> &records, bool sorted = false)
{
    QStringList out;
    for (const NameRecord &r : records)
        out.append(r.name);
    if (sorted)
        out.sort();
    return out;
}

} // namespace

class TstResolver : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        if (!QFile::exists(kNsd))
            QFAIL("nsd not found at /usr/sbin/nsd: run scripts/deps.sh (apt-get install nsd)");
        QString script = qEnvironmentVariable("RELAYDESK_DNSSERVER_PY");
        if (script.isEmpty())
            script = QFINDTESTDATA("../integration/dnsserver.py");
        QVERIFY2(QFile::exists(script), "tests/integration/dnsserver.py not found");
        QVERIFY(m_tmp.isValid());

        const QString specPath = m_tmp.filePath(QStringLiteral("zones.json"));
        QFile f(specPath);
        const qint64 size = qint64(std::strlen(kZoneSpec));
        QVERIFY(f.open(QIODevice::WriteOnly) && f.write(kZoneSpec, size) == size);
        f.close();

        m_server = new QProcess(this);
        m_server->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_server->start(kPython, {script, QStringLiteral("--zone-file"), specPath,
                                  QStringLiteral("--stop-on-eof")});
        QVERIFY2(m_server->waitForStarted(5000), qPrintable(m_server->errorString()));
        QByteArray out;
        QVERIFY2(QTest::qWaitFor([&] {
                     out += m_server->readAllStandardOutput();
                     return out.contains('\n') || m_server->state() == QProcess::NotRunning;
                 }, 30000),
                 "dnsserver.py did not print ready");
        const QList<QByteArray> words = out.trimmed().split(' ');
        QVERIFY2(words.size() == 3 && words[0] == "ready", out.constData());
        m_address = QString::fromLatin1(words[1]);
        m_port = quint16(words[2].toUInt());
        QVERIFY(m_port > 0);
    }

    void cleanupTestCase()
    {
        if (!m_server)
            return;
        m_server->terminate(); // dnsserver.py stops NSD on SIGTERM
        if (!m_server->waitForFinished(10000)) {
            m_server->kill();
            m_server->waitForFinished(3000);
        }
    }

    // ---------------------------------------------------------------- pure parts

    void parseServers()
    {
        const QList<std::pair<const char *, const char *>> good = {
            {"127.0.0.1", "127.0.0.1:53"},         {" 127.0.0.9:5353 ", "127.0.0.9:5353"},
            {"[::1]:5300", "[::1]:5300"},          {"2001:db8::53", "[2001:db8::53]:53"},
            {"[2001:db8::53]", "[2001:db8::53]:53"},
        };
        for (const auto &[in, out] : good) {
            const auto s = parseServerAddress(QString::fromUtf8(in));
            QVERIFY2(s, in);
            QCOMPARE(s->toString(), QString::fromUtf8(out));
        }
        QCOMPARE(parseServerAddress(QStringLiteral("[::1]:5300"))->port, quint16(5300));
        for (const char *bad : {"", "dns.example", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
                                "127.0.0.1:x", "[::1", "[::1]5300", "[::1]:", "300.1.1.1"}) {
            QString error;
            QVERIFY2(!parseServerAddress(QString::fromUtf8(bad), &error), bad);
            QVERIFY2(error.startsWith(QStringLiteral("bad DNS server")), qPrintable(error));
        }
    }

    void reverseNames()
    {
        QCOMPARE(reverseName(QHostAddress(QStringLiteral("192.0.2.10"))),
                 QStringLiteral("10.2.0.192.in-addr.arpa"));
        QCOMPARE(reverseName(QHostAddress(QStringLiteral("2001:db8::567:89ab"))),
                 QStringLiteral("b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
                                ".ip6.arpa"));
        QCOMPARE(reverseName(QHostAddress()), QString());
    }

    void wireWalker()
    {
        // Response to "a.test A": answer a.test CNAME b.test (TTL 50), b.test A
        // (TTL 70, name compressed), authority SOA with TTL 90 and MINIMUM 30.
        QByteArray m = QByteArray::fromHex("1234" "8180" "0001" "0002" "0001" "0000");
        const QByteArray qname = QByteArray::fromHex("0161047465737400"); // a.test at offset 12
        m += qname + QByteArray::fromHex("00010001");
        m += QByteArray::fromHex("c00c" "0005" "0001" "00000032" "0004" "0162c00e");
        const int bOffset = 12 + qname.size() + 4 + 12; // "b" label of the CNAME target
        m += QByteArray::fromHex("c0") + char(bOffset)
            + QByteArray::fromHex("0001" "0001" "00000046" "0004" "7f000002");
        m += QByteArray::fromHex("c00e" "0006" "0001" "0000005a");
        const QByteArray soa = QByteArray::fromHex("026e73c00e" "0168c00e" "00000001" "00000e10"
                                                   "00000258" "00015180" "0000001e");
        m += QByteArray(1, '\0') + QByteArray(1, char(soa.size())) + soa;

        const std::optional<wire::Message> msg = wire::parseMessage(m);
        QVERIFY(msg);
        QCOMPARE(msg->rcode, 0);
        QCOMPARE(msg->questionName, QStringLiteral("a.test"));
        QCOMPARE(msg->answers.size(), 2);
        QCOMPARE(msg->answers[0].type, wire::TypeCNAME);
        QCOMPARE(msg->answers[0].target, QStringLiteral("b.test"));
        QCOMPARE(msg->answers[1].owner, QStringLiteral("b.test"));
        QCOMPARE(msg->ttlsOf(wire::TypeA), QList<quint32>{70});
        QCOMPARE(msg->minTtl(), std::optional<quint32>(50));
        QCOMPARE(msg->canonicalName(), QStringLiteral("b.test"));
        QCOMPARE(msg->negativeTtl, std::optional<quint32>(30));

        // Every truncation of it is rejected, as are a query (QR=0) and garbage.
        for (int len = 0; len < m.size(); ++len)
            QVERIFY2(!wire::parseMessage(m.left(len)), qPrintable(QString::number(len)));
        QByteArray query = m;
        query[2] = char(0x01);
        QVERIFY(!wire::parseMessage(query));
        QVERIFY(!wire::parseMessage(QByteArray(40, '\xff')));
    }

    void cacheTtlAndEviction()
    {
        ResolverCache cache(2, 100);
        Answer a;
        a.type = RecordType::A;
        a.status = Status::Ok;
        a.ttl = 300; // capped to 100
        a.addresses = {{QHostAddress(QStringLiteral("127.0.0.7")), 300}};
        cache.insert(QStringLiteral("Host.Test."), RecordType::A, a, 1000);
        auto hit = cache.find(QStringLiteral("host.test"), RecordType::A, 1000 + 40000);
        QVERIFY(hit);
        QVERIFY(hit->fromCache);
        QCOMPARE(hit->ttl, 60u);
        QCOMPARE(hit->addresses.first().ttl, 60u);
        QCOMPARE(hit->name, QStringLiteral("host.test"));
        QVERIFY(!cache.find(QStringLiteral("host.test"), RecordType::AAAA, 1000));
        QVERIFY(!cache.find(QStringLiteral("host.test"), RecordType::A, 1000 + 100000)); // expired
        QCOMPARE(cache.size(), 0);

        Answer fail;
        fail.status = Status::Timeout;
        fail.ttl = 100;
        cache.insert(QStringLiteral("t.test"), RecordType::A, fail, 0);
        Answer zero = a;
        zero.ttl = 0;
        cache.insert(QStringLiteral("z.test"), RecordType::A, zero, 0);
        QCOMPARE(cache.size(), 0); // temporary failures and TTL 0 are never cached

        Answer nx;
        nx.status = Status::NxDomain;
        nx.ttl = 50;
        cache.insert(QStringLiteral("one.test"), RecordType::A, nx, 0);
        cache.insert(QStringLiteral("two.test"), RecordType::A, nx, 0);
        QVERIFY(cache.find(QStringLiteral("one.test"), RecordType::A, 0)); // one is now most recent
        cache.insert(QStringLiteral("three.test"), RecordType::A, nx, 0);  // evicts two
        QCOMPARE(cache.size(), 2);
        QVERIFY(cache.find(QStringLiteral("one.test"), RecordType::A, 0));
        QVERIFY(!cache.find(QStringLiteral("two.test"), RecordType::A, 0));
        QCOMPARE(cache.find(QStringLiteral("three.test"), RecordType::A, 0)->status,
                 Status::NxDomain);
    }

    void addressCombination()
    {
        const auto answer = [](Status st) {
            Answer a;
            a.status = st;
            if (st == Status::Ok)
                a.addresses = {{QHostAddress(QStringLiteral("127.0.0.1")), 5}};
            return a;
        };
        const auto combined = [&](Status a, Status aaaa) {
            return combineAddressAnswers(QStringLiteral("h.test"), answer(a), answer(aaaa)).status;
        };
        QCOMPARE(combined(Status::Ok, Status::Timeout), Status::Ok);
        QCOMPARE(combined(Status::NoData, Status::Timeout), Status::Timeout);
        QCOMPARE(combined(Status::ServerFailure, Status::NoData), Status::ServerFailure);
        QCOMPARE(combined(Status::NxDomain, Status::Timeout), Status::NxDomain);
        QCOMPARE(combined(Status::NoData, Status::NoData), Status::NoData);
        QVERIFY(isTemporary(Status::Timeout) && isTemporary(Status::ServerFailure));
        QVERIFY(isPermanent(Status::NxDomain) && isPermanent(Status::NoData));
        QVERIFY(!isPermanent(Status::ServerFailure) && !isTemporary(Status::NxDomain));
    }

    // ---------------------------------------------------------------- against NSD

    void addressRecords()
    {
        CaresResolver r(config());
        QVERIFY2(r.isValid(), qPrintable(r.errorString()));
        QCOMPARE(r.servers(), QStringList{QStringLiteral("%1:%2").arg(m_address).arg(m_port)});
        const Answer a = ask(r, QStringLiteral("mx1.example.test"), RecordType::A);
        QCOMPARE(a.status, Status::Ok);
        QCOMPARE(a.type, RecordType::A);
        QCOMPARE(a.name, QStringLiteral("mx1.example.test"));
        QCOMPARE(a.canonicalName, QStringLiteral("mx1.example.test"));
        QCOMPARE(addressStrings(a.addresses), QStringList{QStringLiteral("127.0.0.2")});
        QCOMPARE(a.addresses.first().ttl, 300u);
        QCOMPARE(a.ttl, 300u);
        QVERIFY(!a.fromCache);
        // A trailing dot and other letter case are the same name.
        const Answer b = ask(r, QStringLiteral("MX1.Example.Test."), RecordType::A);
        QCOMPARE(addressStrings(b.addresses), QStringList{QStringLiteral("127.0.0.2")});

        const Answer v6 = ask(r, QStringLiteral("dual.example.test"), RecordType::AAAA);
        QCOMPARE(v6.status, Status::Ok);
        QCOMPARE(addressStrings(v6.addresses), QStringList{QStringLiteral("2001:db8::4")});
        QCOMPARE(v6.addresses.first().ttl, 60u);
        QCOMPARE(v6.ttl, 60u);
    }

    void addressesBothFamilies()
    {
        CaresResolver r(config());
        AddressAnswer a = askAddresses(r, QStringLiteral("dual.example.test"));
        QCOMPARE(a.status, Status::Ok);
        QCOMPARE(addressStrings(a.addresses),
                 (QStringList{QStringLiteral("127.0.0.4"), QStringLiteral("2001:db8::4")}));
        QCOMPARE(a.a.addresses.first().ttl, 120u);
        QCOMPARE(a.ttl(), 60u);

        a = askAddresses(r, QStringLiteral("v6only.example.test"));
        QCOMPARE(a.status, Status::Ok);
        QCOMPARE(addressStrings(a.addresses), QStringList{QStringLiteral("2001:db8::6")});
        QCOMPARE(a.a.status, Status::NoData);
        QCOMPARE(a.aaaa.status, Status::Ok);

        a = askAddresses(r, QStringLiteral("nosuch.example.test"));
        QCOMPARE(a.status, Status::NxDomain);
        QVERIFY(a.addresses.isEmpty());

        a = askAddresses(r, QStringLiteral("nullmx.example.test")); // exists, only an MX
        QCOMPARE(a.status, Status::NoData);
    }

    void mxOrdering()
    {
        CaresResolver r(config());
        const Answer a = ask(r, QStringLiteral("example.test"), RecordType::MX);
        QCOMPARE(a.status, Status::Ok);
        QCOMPARE(a.mx.size(), 3);
        QCOMPARE(a.mx[0].preference, quint16(10));
        QCOMPARE(a.mx[0].exchange, QStringLiteral("mx1.example.test"));
        QCOMPARE(a.mx[1].preference, quint16(20));
        QCOMPARE(a.mx[1].exchange, QStringLiteral("mx2.example.test"));
        QCOMPARE(a.mx[2].preference, quint16(30));
        QCOMPARE(a.mx[2].exchange, QStringLiteral("mx3.example.test"));
        QCOMPARE(a.mx[0].ttl, 300u);
        QVERIFY(!a.isNullMx());
        QVERIFY(!a.mx[0].isNull());
    }

    void nullMx()
    {
        CaresResolver r(config());
        const Answer a = ask(r, QStringLiteral("nullmx.example.test"), RecordType::MX);
        QCOMPARE(a.status, Status::Ok);
        QCOMPARE(a.mx.size(), 1);
        QCOMPARE(a.mx[0].preference, quint16(0));
        QCOMPARE(a.mx[0].exchange, QStringLiteral("."));
        QVERIFY(a.isNullMx());
    }

    void txtMultiString()
    {
        CaresResolver r(config());
        Answer a = ask(r, QStringLiteral("spf.example.test"), RecordType::TXT);
        QCOMPARE(a.status, Status::Ok);
        QCOMPARE(a.txt.size(), 2);
        std::sort(a.txt.begin(), a.txt.end(),
                  [](const TxtRecord &x, const TxtRecord &y) { return x.text() < y.text(); });
        QCOMPARE(a.txt[0].strings, QList<QByteArray>{"second record"});
        QCOMPARE(a.txt[1].strings, (QList<QByteArray>{"v=spf1 ip4:127.0.0.0/8", " -all"}));
        QCOMPARE(a.txt[1].text(), QByteArray("v=spf1 ip4:127.0.0.0/8 -all"));
        QCOMPARE(a.txt[1].ttl, 300u);
    }

    void ptr()
    {
        CaresResolver r(config());
        std::optional<Answer> got;
        r.lookupPtr(QHostAddress(QStringLiteral("127.0.0.2")), nullptr,
                    [&](const Answer &a) { got = a; });
        QVERIFY(QTest::qWaitFor([&] { return got.has_value(); }, 10000));
        QCOMPARE(got->status, Status::Ok);
        QCOMPARE(got->name, QStringLiteral("2.0.0.127.in-addr.arpa"));
        QCOMPARE(names(got->names), QStringList{QStringLiteral("mx1.example.test")});
        QCOMPARE(got->names.first().ttl, 300u);

        const Answer two = ask(r, QStringLiteral("4.0.0.127.in-addr.arpa"), RecordType::PTR);
        QCOMPARE(two.status, Status::Ok);
        QCOMPARE(names(two.names, true), (QStringList{QStringLiteral("dual-alt.example.test"),
                                                      QStringLiteral("dual.example.test")}));

        QCOMPARE(ask(r, QStringLiteral("9.0.0.127.in-addr.arpa"), RecordType::PTR).status,
                 Status::NxDomain);
    }

    void cnameChain()
    {
        CaresResolver r(config());
        const Answer a = ask(r, QStringLiteral("alias.example.test"), RecordType::A);
        QCOMPARE(a.status, Status::Ok);
        QCOMPARE(addressStrings(a.addresses), QStringList{QStringLiteral("127.0.0.2")});
        QCOMPARE(a.canonicalName, QStringLiteral("mx1.example.test"));
        QCOMPARE(a.ttl, 200u); // the alias's CNAME TTL is the smallest in the chain

        const Answer c = ask(r, QStringLiteral("alias.example.test"), RecordType::CNAME);
        QCOMPARE(c.status, Status::Ok);
        QCOMPARE(names(c.names), QStringList{QStringLiteral("alias2.example.test")});
        QCOMPARE(c.names.first().ttl, 200u);

        const Answer none = ask(r, QStringLiteral("mx1.example.test"), RecordType::CNAME);
        QCOMPARE(none.status, Status::NoData);

        // The chain ends at a name without AAAA: NODATA, not an error.
        const Answer noV6 = ask(r, QStringLiteral("alias.example.test"), RecordType::AAAA);
        QCOMPARE(noV6.status, Status::NoData);
        QCOMPARE(noV6.canonicalName, QStringLiteral("mx1.example.test"));
    }

    void nxdomainVersusNodata()
    {
        CaresResolver r(config());
        const Answer nx = ask(r, QStringLiteral("nosuch.example.test"), RecordType::A);
        QCOMPARE(nx.status, Status::NxDomain);
        QVERIFY(isPermanent(nx.status));
        QCOMPARE(nx.ttl, 60u); // min(SOA TTL 300, SOA MINIMUM 60)
        QVERIFY(nx.addresses.isEmpty());
        QVERIFY(!nx.error.isEmpty());

        const Answer nodata = ask(r, QStringLiteral("mx1.example.test"), RecordType::MX);
        QCOMPARE(nodata.status, Status::NoData);
        QVERIFY(isPermanent(nodata.status));
        QCOMPARE(nodata.ttl, 60u);
        QVERIFY(nodata.mx.isEmpty());

        QCOMPARE(ask(r, QStringLiteral("nosuch.example.test"), RecordType::MX).status,
                 Status::NxDomain);
        QCOMPARE(ask(r, QStringLiteral("spf.example.test"), RecordType::A).status, Status::NoData);
    }

    void refusedIsTemporary()
    {
        // NSD refuses names outside its zones: "DNS is not working", not "no such domain".
        ResolverConfig c = config();
        c.tries = 1;
        CaresResolver r(c);
        const Answer a = ask(r, QStringLiteral("example.org"), RecordType::MX);
        QCOMPARE(a.status, Status::ServerFailure);
        QVERIFY(isTemporary(a.status));
        QCOMPARE(a.ttl, 0u);
    }

    void connectionRefusedIsTemporary()
    {
        quint16 port = 0;
        {
            QUdpSocket probe; // a port that was free a moment ago: ICMP port unreachable
            QVERIFY(probe.bind(QHostAddress::LocalHost, 0));
            port = probe.localPort();
        }
        ResolverConfig c;
        c.servers = {QStringLiteral("127.0.0.1:%1").arg(port)};
        c.timeoutMs = 1000;
        c.tries = 1;
        c.cacheEnabled = false;
        CaresResolver r(c);
        const Answer a = ask(r, QStringLiteral("mx1.example.test"), RecordType::A);
        QVERIFY2(isTemporary(a.status), qPrintable(statusName(a.status)));
    }

    void timeout()
    {
        QUdpSocket silent; // bound, never read, never answers
        QVERIFY(silent.bind(QHostAddress::LocalHost, 0));
        ResolverConfig c;
        c.servers = {QStringLiteral("127.0.0.1:%1").arg(silent.localPort())};
        c.timeoutMs = 300;
        c.tries = 1;
        CaresResolver r(c);
        QElapsedTimer clock;
        clock.start();
        const Answer a = ask(r, QStringLiteral("mx1.example.test"), RecordType::A, 5000);
        const qint64 elapsed = clock.elapsed();
        QCOMPARE(a.status, Status::Timeout);
        QVERIFY(isTemporary(a.status));
        QVERIFY2(elapsed >= 250 && elapsed < 2000, qPrintable(QString::number(elapsed)));
        QVERIFY(silent.hasPendingDatagrams()); // the query did go out

        // Two tries: c-ares doubles the timeout for the second round (300 + 600 ms).
        c.tries = 2;
        CaresResolver r2(c);
        clock.restart();
        QCOMPARE(ask(r2, QStringLiteral("mx2.example.test"), RecordType::A, 5000).status,
                 Status::Timeout);
        QVERIFY2(clock.elapsed() >= 800 && clock.elapsed() < 3500,
                 qPrintable(QString::number(clock.elapsed())));
    }

    void cacheHit()
    {
        CaresResolver r(config(true));
        const Answer first = ask(r, QStringLiteral("mx1.example.test"), RecordType::A);
        QCOMPARE(first.status, Status::Ok);
        QVERIFY(!first.fromCache);
        QCOMPARE(r.stats().queriesSent, 1u);

        // ask() fails if the hit is answered inside lookup(): it must come from the event loop.
        const Answer second = ask(r, QStringLiteral("MX1.example.test."), RecordType::A);
        QVERIFY(second.fromCache);
        QCOMPARE(second.status, Status::Ok);
        QCOMPARE(addressStrings(second.addresses), QStringList{QStringLiteral("127.0.0.2")});
        QVERIFY(second.ttl > 290 && second.ttl <= 300);
        QCOMPARE(r.stats().queriesSent, 1u); // no query went out
        QCOMPARE(r.stats().cacheHits, 1u);

        // Negative answers are cached too (for the SOA's 60 s).
        QCOMPARE(ask(r, QStringLiteral("nosuch.example.test"), RecordType::A).status,
                 Status::NxDomain);
        const Answer nx = ask(r, QStringLiteral("nosuch.example.test"), RecordType::A);
        QCOMPARE(nx.status, Status::NxDomain);
        QVERIFY(nx.fromCache);
        QVERIFY(nx.ttl > 50 && nx.ttl <= 60);
        QCOMPARE(r.stats().queriesSent, 2u);

        // Cache disabled: every lookup asks.
        CaresResolver uncached(config(false));
        ask(uncached, QStringLiteral("mx1.example.test"), RecordType::A);
        QVERIFY(!ask(uncached, QStringLiteral("mx1.example.test"), RecordType::A).fromCache);
        QCOMPARE(uncached.stats().queriesSent, 2u);
    }

    void concurrentLookupsShareOneQuery()
    {
        CaresResolver r(config());
        int calls = 0;
        QList<Answer> answers;
        for (int i = 0; i < 3; ++i) {
            r.lookupMx(QStringLiteral("example.test"), [&](const Answer &a) {
                ++calls;
                answers.append(a);
            });
        }
        QVERIFY(QTest::qWaitFor([&] { return calls == 3; }, 10000));
        QCOMPARE(r.stats().queriesSent, 1u);
        QCOMPARE(r.stats().coalesced, 2u);
        for (const Answer &a : answers)
            QCOMPARE(a.mx.size(), 3);
    }

    void cancelAndContext()
    {
        CaresResolver r(config());
        int cancelled = 0;
        int contextCalls = 0;
        const RequestId id = r.lookup(QStringLiteral("mx1.example.test"), RecordType::A,
                                      [&](const Answer &) { ++cancelled; });
        QVERIFY(id != 0);
        r.cancel(id);
        const RequestId pair = r.lookupAddresses(QStringLiteral("dual.example.test"),
                                                 [&](const AddressAnswer &) { ++cancelled; });
        r.cancel(pair);
        auto *context = new QObject;
        r.lookup(QStringLiteral("mx2.example.test"), RecordType::A, context,
                 [&](const Answer &) { ++contextCalls; });
        delete context;
        QObject alive;
        r.lookup(QStringLiteral("mx2.example.test"), RecordType::A, &alive,
                 [&](const Answer &) { ++contextCalls; });
        r.cancel(987654); // unknown: ignored

        QVERIFY(QTest::qWaitFor([&] { return contextCalls == 1; }, 10000));
        QCOMPARE(ask(r, QStringLiteral("mx3.example.test"), RecordType::A).status,
                 Status::NxDomain);
        QTest::qWait(100);
        QCOMPARE(cancelled, 0);
        QCOMPARE(contextCalls, 1); // only the one whose context is alive
    }

    void callbackStartsNewLookup()
    {
        CaresResolver r(config());
        std::optional<AddressAnswer> hostAnswer;
        r.lookupMx(QStringLiteral("example.test"), [&](const Answer &mx) {
            QVERIFY(mx.ok());
            r.lookupAddresses(mx.mx.first().exchange,
                              [&](const AddressAnswer &a) { hostAnswer = a; });
        });
        QVERIFY(QTest::qWaitFor([&] { return hostAnswer.has_value(); }, 10000));
        QCOMPARE(hostAnswer->name, QStringLiteral("mx1.example.test"));
        QCOMPARE(addressStrings(hostAnswer->addresses), QStringList{QStringLiteral("127.0.0.2")});
    }

    void destroyWithQueriesOutstanding()
    {
        QUdpSocket silent;
        QVERIFY(silent.bind(QHostAddress::LocalHost, 0));
        ResolverConfig c;
        c.servers = {QStringLiteral("127.0.0.1:%1").arg(silent.localPort())};
        c.timeoutMs = 200;
        c.tries = 1;
        int calls = 0;
        {
            auto r = std::make_unique<CaresResolver>(c);
            const auto count = [&](const auto &) { ++calls; };
            r->lookup(QStringLiteral("a.example.test"), RecordType::A, count);
            r->lookupAddresses(QStringLiteral("b.example.test"), count);
            r->lookup(QStringLiteral("bad..name"), RecordType::A, [&](const Answer &) { ++calls; });
            QVERIFY(QTest::qWaitFor([&] { return silent.hasPendingDatagrams(); }, 2000));
            r.reset(); // queries in flight, an answer queued
        }
        // A resolver destroyed right after a cache hit was queued.
        {
            auto r = std::make_unique<CaresResolver>(config(true));
            QCOMPARE(ask(*r, QStringLiteral("mx1.example.test"), RecordType::A).status, Status::Ok);
            r->lookup(QStringLiteral("mx1.example.test"), RecordType::A,
                      [&](const Answer &) { ++calls; });
            r.reset();
        }
        // A resolver deleted from inside a callback (with deleteLater).
        {
            QPointer<CaresResolver> r = new CaresResolver(config());
            r->lookup(QStringLiteral("mx1.example.test"), RecordType::A, [&](const Answer &) {
                ++calls;
                r->lookup(QStringLiteral("mx2.example.test"), RecordType::A,
                          [&](const Answer &) { ++calls; });
                r->deleteLater();
            });
            QVERIFY(QTest::qWaitFor([&] { return r.isNull(); }, 10000));
        }
        QTest::qWait(500); // past the 200 ms timeout: nothing may fire now
        QCOMPARE(calls, 1);
    }

    void invalidNames()
    {
        CaresResolver r(config());
        const QString label60(60, QLatin1Char('y'));
        const QString tooLong = QStringList(5, label60).join(QLatin1Char('.')); // 304 octets
        const QString longLabel = QString(64, QLatin1Char('x')) + QStringLiteral(".test");
        for (const QString &bad :
             {QString(), QStringLiteral("a..b"), QStringLiteral("."), longLabel, tooLong}) {
            const Answer a = ask(r, bad, RecordType::A);
            QCOMPARE(a.status, Status::InvalidName);
            QVERIFY(isPermanent(a.status));
        }
        QCOMPARE(r.stats().queriesSent, 0u);
        // A non-ASCII name is asked in its IDNA form (and does not exist here).
        const Answer idn = ask(r, QStringLiteral("bücher.example.test"), RecordType::A);
        QCOMPARE(idn.name, QStringLiteral("xn--bcher-kva.example.test"));
        QCOMPARE(idn.status, Status::NxDomain);
    }

    void badConfiguration()
    {
        ResolverConfig c;
        c.servers = {QStringLiteral("127.0.0.1:53"), QStringLiteral("dns.example")};
        CaresResolver r(c);
        QVERIFY(!r.isValid());
        QVERIFY2(r.errorString().contains(QStringLiteral("dns.example")),
                 qPrintable(r.errorString()));
        const Answer a = ask(r, QStringLiteral("mx1.example.test"), RecordType::A);
        QCOMPARE(a.status, Status::ServerFailure);
        QCOMPARE(a.error, r.errorString());
    }

private:
    ResolverConfig config(bool cache = false) const
    {
        ResolverConfig c;
        c.servers = {QStringLiteral("%1:%2").arg(m_address).arg(m_port)};
        c.timeoutMs = 2000;
        c.tries = 2;
        c.cacheEnabled = cache;
        return c;
    }

    Answer ask(Resolver &r, const QString &name, RecordType type, int timeoutMs = 10000)
    {
        std::optional<Answer> got;
        r.lookup(name, type, [&](const Answer &a) { got = a; });
        if (got) // answered inside lookup(): a contract violation; the caller's checks fail
            return Answer{};
        return QTest::qWaitFor([&] { return got.has_value(); }, timeoutMs) ? *got : Answer{};
    }

    AddressAnswer askAddresses(Resolver &r, const QString &host, int timeoutMs = 10000)
    {
        std::optional<AddressAnswer> got;
        r.lookupAddresses(host, [&](const AddressAnswer &a) { got = a; });
        if (!QTest::qWaitFor([&] { return got.has_value(); }, timeoutMs))
            return AddressAnswer{};
        return *got;
    }

    QTemporaryDir m_tmp;
    QProcess *m_server = nullptr;
    QString m_address;
    quint16 m_port = 0;
};

QTEST_GUILESS_MAIN(TstResolver)
#include "tst_resolver.moc"
