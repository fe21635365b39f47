// IIS delivery settings: the hop count of a header part (RFC 5321 6.3), the
// masquerade rewrite of the envelope sender, and the settings' validators.
#include "config/configsnapshot.h"
#include "config/settings.h"
#include "delivery/deliveryagent.h"
#include "queue/queuestore.h"

#include <QtTest>

using namespace rd;

class TstIisDelivery : public QObject {
    Q_OBJECT
private slots:
    void countsReceivedFields_data()
    {
        QTest::addColumn<QByteArray>("head");
        QTest::addColumn<int>("count");
        QTest::newRow("none") << QByteArray("From: a@b.example\r\nSubject: x\r\n\r\nbody\r\n") << 0;
        QTest::newRow("two") << QByteArray("Received: from a by b; Thu, 1 Jan 2026 00:00:00 +0000\r\n"
                                           "Received: from c\r\n\tby d; Thu, 1 Jan 2026 00:00:00 +0000\r\n"
                                           "From: a@b.example\r\n\r\n")
                             << 2;
        QTest::newRow("case and space before colon")
            << QByteArray("RECEIVED : from a\r\nreceived:from b\r\n\r\n") << 2;
        QTest::newRow("LF only") << QByteArray("Received: x\nReceived: y\nReceived: z\n\nReceived: body\n") << 3;
        QTest::newRow("body lines do not count")
            << QByteArray("Subject: s\r\n\r\nReceived: from the body\r\nReceived: again\r\n") << 0;
        QTest::newRow("similar names do not count")
            << QByteArray("Received-SPF: pass\r\nX-Received: from x\r\nReceivedX: y\r\n\r\n") << 0;
        QTest::newRow("folded continuation is one field")
            << QByteArray("Received: from a\r\n Received: not a new field\r\n\r\n") << 1;
        QTest::newRow("no end of header part") << QByteArray("Received: a\r\nReceived: b") << 2;
        QTest::newRow("empty") << QByteArray() << 0;
    }
    void countsReceivedFields()
    {
        QFETCH(QByteArray, head);
        QFETCH(int, count);
        QCOMPARE(queue::countReceived(head), count);
    }

    void countsManyFieldsInAHugeHeader()
    {
        QByteArray head;
        for (int i = 0; i < 500; ++i)
            head += "Received: from hop" + QByteArray::number(i) + " by x; Thu, 1 Jan 2026 00:00:00 +0000\r\n";
        head += "\r\n";
        QCOMPARE(queue::countReceived(head), 500);
    }

    void masqueradesTheEnvelopeSender()
    {
        using delivery::masquerade;
        QCOMPARE(masquerade("scanner@printers.local", QStringLiteral("corp.example")), QByteArray("scanner@corp.example"));
        QCOMPARE(masquerade("\"odd@local\"@host.local", QStringLiteral("corp.example")),
                 QByteArray("\"odd@local\"@corp.example"));
        QCOMPARE(masquerade("a@b.local", QStringLiteral("b\u00FCcher.example")), QByteArray("a@xn--bcher-kva.example"));
        QCOMPARE(masquerade("", QStringLiteral("corp.example")), QByteArray());           // null sender stays
        QCOMPARE(masquerade("postmaster", QStringLiteral("corp.example")), QByteArray("postmaster"));
        QCOMPARE(masquerade("a@b.local", QString()), QByteArray("a@b.local"));          // off
    }

    void validatesTheNewSettings_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QVariant>("value");
        QTest::addColumn<bool>("ok");
        using namespace config::keys;
        const QString masq = QString::fromLatin1(kMasqueradeDomain);
        const QString ndr = QString::fromLatin1(kNdrCopyTo);
        const QString hops = QString::fromLatin1(kMaxHops);
        QTest::newRow("masq domain") << masq << QVariant(QStringLiteral("corp.example")) << true;
        QTest::newRow("masq empty") << masq << QVariant(QString()) << true;
        QTest::newRow("masq idn") << masq << QVariant(QStringLiteral("b\u00FCcher.example")) << true;
        QTest::newRow("masq single label") << masq << QVariant(QStringLiteral("corp")) << false;
        QTest::newRow("masq space") << masq << QVariant(QStringLiteral("corp example.com")) << false;
        QTest::newRow("masq address") << masq << QVariant(QStringLiteral("a@corp.example")) << false;
        QTest::newRow("masq leading hyphen") << masq << QVariant(QStringLiteral("-corp.example")) << false;
        QTest::newRow("ndr address") << ndr << QVariant(QStringLiteral("postmaster@corp.example")) << true;
        QTest::newRow("ndr alias") << ndr << QVariant(QStringLiteral("Postmaster")) << false;
        QTest::newRow("ndr angle") << ndr << QVariant(QStringLiteral("<a@corp.example>")) << false;
        QTest::newRow("ndr two") << ndr << QVariant(QStringLiteral("a@corp.example,b@corp.example")) << false;
        QTest::newRow("hops 15") << hops << QVariant(15) << true;
        QTest::newRow("hops 0") << hops << QVariant(0) << false;
        QTest::newRow("hops text") << hops << QVariant(QStringLiteral("many")) << false;
    }
    void validatesTheNewSettings()
    {
        QFETCH(QString, key);
        QFETCH(QVariant, value);
        QFETCH(bool, ok);
        const config::SettingDef *def = config::findSetting(key);
        QVERIFY(def);
        QVariant out;
        QString error;
        QCOMPARE(config::validateSetting(*def, value, &out, &error), ok);
        if (!ok)
            QVERIFY2(!error.isEmpty(), "a refusal names its reason");
    }
};

QTEST_GUILESS_MAIN(TstIisDelivery)
#include "tst_iisdelivery.moc"
