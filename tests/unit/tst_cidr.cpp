// CIDR parsing and relay allow/deny matching.
#include "util/cidr.h"

#include <QTest>

using namespace rd::util;

class TestCidr : public QObject {
    Q_OBJECT
private slots:
    void parse_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<QString>("canonical");
        QTest::newRow("v4 host") << "127.0.0.1" << true << "127.0.0.1/32";
        QTest::newRow("v4 net") << "192.168.10.0/24" << true << "192.168.10.0/24";
        QTest::newRow("v4 all") << "0.0.0.0/0" << true << "0.0.0.0/0";
        QTest::newRow("v6 host") << "::1" << true << "::1/128";
        QTest::newRow("v6 net") << "2001:db8::/32" << true << "2001:db8::/32";
        QTest::newRow("mapped") << "::ffff:10.1.2.3" << true << "10.1.2.3/32";
        // "::" is the IPv6 unspecified address, not 0.0.0.0 (Qt's toIPv4Address says it is).
        QTest::newRow("v6 all") << "::/0" << true << "::/0";
        QTest::newRow("v6 any host") << "::" << true << "::/128";
        QTest::newRow("v4-compatible") << "::10.1.2.3" << true << "::10.1.2.3/128";
        QTest::newRow("spaces") << "  10.0.0.0/8 " << true << "10.0.0.0/8";
        QTest::newRow("prefix 33") << "10.0.0.0/33" << false << "";
        QTest::newRow("prefix 129") << "::/129" << false << "";
        QTest::newRow("negative") << "10.0.0.0/-1" << false << "";
        QTest::newRow("host bits") << "10.0.0.1/8" << false << "";
        QTest::newRow("name") << "localhost" << false << "";
        QTest::newRow("octet") << "256.1.1.1" << false << "";
        QTest::newRow("empty") << "" << false << "";
        QTest::newRow("junk prefix") << "10.0.0.0/8x" << false << "";
        QTest::newRow("scope") << "fe80::1%eth0" << false << "";
    }
    void parse()
    {
        QFETCH(QString, text);
        QFETCH(bool, ok);
        QFETCH(QString, canonical);
        CidrRange r;
        QString error;
        QCOMPARE(parseCidr(text, &r, &error), ok);
        if (ok)
            QCOMPARE(r.toString(), canonical);
        else
            QVERIFY(!error.isEmpty());
    }

    void matching()
    {
        CidrList allow, deny;
        QString error;
        QVERIFY(allow.parse({QStringLiteral("127.0.0.0/8"), QStringLiteral("2001:db8::/32")}, &error));
        QVERIFY(deny.parse({QStringLiteral("127.0.0.2")}, &error));
        auto permitted = [&](const char *ip) {
            const QHostAddress a(QString::fromLatin1(ip));
            return allow.matches(a) && !deny.matches(a);
        };
        QVERIFY(permitted("127.0.0.1"));
        QVERIFY(!permitted("127.0.0.2")); // deny wins
        QVERIFY(permitted("::ffff:127.0.0.1"));
        QVERIFY(permitted("2001:db8::25"));
        QVERIFY(!permitted("2001:db9::1"));
        QVERIFY(!permitted("10.0.0.1"));
        QVERIFY(!permitted("::1"));

        // Every IPv6 address, and no IPv4 address.
        CidrList v6all;
        QVERIFY(v6all.parse({QStringLiteral("::/0")}, &error));
        QVERIFY(v6all.matches(QHostAddress(QStringLiteral("2001:db8::1"))));
        QVERIFY(v6all.matches(QHostAddress(QStringLiteral("::1"))));
        QVERIFY(!v6all.matches(QHostAddress(QStringLiteral("192.0.2.1"))));
        QVERIFY(!v6all.matches(QHostAddress(QStringLiteral("::ffff:192.0.2.1")))); // mapped is IPv4
    }

    void listErrorNamesEntry()
    {
        CidrList l;
        QString error;
        QVERIFY(!l.parse({QStringLiteral("10.0.0.0/8"), QStringLiteral("10.0.0.0/33")}, &error));
        QVERIFY2(error.contains(QLatin1String("entry 2")), qPrintable(error));
        QVERIFY(l.isEmpty()); // nothing applied on error
    }
};

QTEST_APPLESS_MAIN(TestCidr)
#include "tst_cidr.moc"
