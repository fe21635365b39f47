// IIS SMTP metabase import: the RelayIpList (IPSECLIST) decoder against the
// two public samples (SaltStack's win_smtp_server docs, a public PowerShell
// script; see tests/data/iis/PROVENANCE.md), malformed blobs, and the import
// of sample MetaBase.xml files into a proposal: listeners, relay lists, limits,
// connector, settings, a report naming every property, and failures that
// leave nothing to apply.

#include "config/configstore.h"
#include "iisimport/iisimporter.h"
#include "iisimport/ipseclist.h"
#include "iisimport/metabasereader.h"
#include "policy/connectioncontrol.h"

#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

using namespace rd;
using namespace rd::iisimport;

namespace {

QString dataPath(const QString &name)
{
    // QFINDTESTDATA also copes with a relative __FILE__ (ccache base_dir rewrites paths).
    return QFINDTESTDATA(QStringLiteral("../data/iis/") + name);
}

QByteArray readData(const QString &name)
{
    QFile f(dataPath(name));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing test data %s", qPrintable(f.fileName()));
    return f.readAll();
}

QByteArray hexFile(const QString &name)
{
    QByteArray out;
    QString err;
    if (!hexToBytes(QString::fromLatin1(readData(name)), &out, &err))
        qFatal("bad hex in %s: %s", qPrintable(name), qPrintable(err));
    return out;
}

// The attribute names of the element at `location`, read independently of
// the importer (for "every property is in the report").
QStringList attributesOf(const QByteArray &xml, const QString &location)
{
    QXmlStreamReader r(xml);
    while (!r.atEnd()) {
        r.readNext();
        if (r.isStartElement() && r.attributes().value(QStringLiteral("Location")).trimmed() == location) {
            QStringList names;
            for (const auto &a : r.attributes())
                if (a.name() != QLatin1String("Location"))
                    names << a.name().toString();
            return names;
        }
    }
    return {};
}

const ReportItem *item(const ImportResult &r, const QString &source, const QString &property)
{
    for (const ReportItem &i : r.items)
        if (i.source == source && i.property == property)
            return &i;
    return nullptr;
}

} // namespace

class TstIisImport : public QObject {
    Q_OBJECT
private slots:
    void decodesPublicSamples()
    {
        IpSecList l;
        QString err;
        QVERIFY2(decodeIpSecList(hexFile(QStringLiteral("relayiplist-salt-127.0.0.1.hex")), &l, &err), qPrintable(err));
        QCOMPARE(l.granted, QStringList{QStringLiteral("127.0.0.1/32")});
        QVERIFY(l.denied.isEmpty());
        QVERIFY2(decodeIpSecList(hexFile(QStringLiteral("relayiplist-powershell-2ip.hex")), &l, &err), qPrintable(err));
        QCOMPARE(l.granted, (QStringList{QStringLiteral("127.0.0.1/32"), QStringLiteral("192.168.10.25/32")}));
    }

    void encoderReproducesTheGuiSample()
    {
        // What the IIS dialog stores for "only 127.0.0.1" (public sample).
        QCOMPARE(encodeIpSecList({QStringLiteral("127.0.0.1")}).toHex(),
                 hexFile(QStringLiteral("relayiplist-salt-127.0.0.1.hex")).toHex());
    }

    void roundTripsGroups()
    {
        const QStringList in = {QStringLiteral("10.1.0.0/16"), QStringLiteral("192.0.2.7/32"),
                                QStringLiteral("10.2.0.0/16"), QStringLiteral("172.16.0.0/12"),
                                QStringLiteral("198.51.100.0/24")};
        IpSecList l;
        QString err;
        QVERIFY2(decodeIpSecList(encodeIpSecList(in), &l, &err), qPrintable(err));
        QStringList got = l.granted, want = in;
        got.sort();
        want.sort();
        QCOMPARE(got, want);
    }

    void rejectsDamagedBlobs()
    {
        const QByteArray good = hexFile(QStringLiteral("relayiplist-powershell-2ip.hex"));
        IpSecList l;
        QString err;
        for (int n = 1; n < good.size(); ++n) {
            err.clear();
            QVERIFY2(!decodeIpSecList(good.left(n), &l, &err), qPrintable(QString::number(n)));
            QVERIFY(!err.isEmpty());
        }
        QByteArray wrongTotal = good;
        wrongTotal[36] = 5; // header says 5 addresses, entries hold 2
        QVERIFY(!decodeIpSecList(wrongTotal, &l, &err));
        QVERIFY2(err.contains(QLatin1String("header says 5")), qPrintable(err));
        QByteArray badMask = good;
        badMask[77] = char(0x0f); // 255.15.255.255: not contiguous
        QVERIFY(!decodeIpSecList(badMask, &l, &err));
        QVERIFY2(err.contains(QLatin1String("mask")), qPrintable(err));
        QByteArray v6 = good;
        v6[40] = 23; // AF_INET6 on Windows
        QVERIFY(!decodeIpSecList(v6, &l, &err));
        QByteArray hex;
        QVERIFY(!hexToBytes(QStringLiteral("18000080zz"), &hex, &err));
        QVERIFY(!hexToBytes(QStringLiteral("180"), &hex, &err));
        // Random bytes: an error or a result, never a crash.
        QRandomGenerator rng(9);
        for (int i = 0; i < 20000; ++i) {
            QByteArray b = good;
            for (int k = 0; k < 1 + int(rng.bounded(4)); ++k)
                b[int(rng.bounded(b.size()))] = char(rng.bounded(256));
            decodeIpSecList(b, &l, &err);
        }
    }

    void importsTheM365Relay()
    {
        const QByteArray xml = readData(QStringLiteral("m365-relay.xml"));
        const ImportResult r = importMetabase(xml, config::ConfigSnapshot());
        QVERIFY2(r.ok, qPrintable(r.toText()));
        QCOMPARE(r.serversImported, 1);
        const auto &ls = r.proposed.listeners;
        QCOMPARE(ls.size(), 2); // the default 127.0.0.1:2525 was replaced by iis-1-2
        QCOMPARE(ls[0].address, QStringLiteral("192.168.10.5"));
        QCOMPARE(ls[0].port, quint16(25));
        QCOMPARE(ls[1].address, QStringLiteral("127.0.0.1"));
        QCOMPARE(ls[1].port, quint16(2525));
        for (const auto &l : ls) {
            QCOMPARE(l.relayAllow, (QStringList{QStringLiteral("127.0.0.1/32"), QStringLiteral("192.168.10.25/32")}));
            QCOMPARE(l.maxMessageSize, qint64(10485760)); // the server's value over the service's 2097152
            QCOMPARE(l.maxRecipients, 100);                // inherited from IIsSmtpService
            QCOMPARE(l.role, QStringLiteral("relay"));
        }
        QCOMPARE(r.proposed.sendConnectors.size(), 1);
        const auto &c = r.proposed.sendConnectors[0];
        QCOMPARE(c.smartHosts, QStringList{QStringLiteral("smtp.office365.com:587")});
        QCOMPARE(c.domains, QStringList{QStringLiteral("*")});
        QCOMPARE(c.tls, QStringLiteral("verify"));
        QCOMPARE(c.authUser, QStringLiteral("scanner@corp.example"));
        QVERIFY(c.authPassword.isEmpty());
        using namespace config::keys;
        QCOMPARE(r.proposed.stringValue(kRetrySchedule), QStringLiteral("900,1800,3600,14400"));
        QCOMPARE(r.proposed.intValue(kMaxAge), 2880 * 60);
        QCOMPARE(r.proposed.intValue(kDelayWarning), 720 * 60);
        QCOMPARE(r.proposed.intValue(kIdleTimeout), 600);
        QCOMPARE(r.proposed.stringValue(kHostname), QStringLiteral("relay01.corp.example"));
        // Every attribute of the virtual server is in the report.
        for (const QString &a : attributesOf(xml, QStringLiteral("/LM/SmtpSvc/1")))
            QVERIFY2(item(r, QStringLiteral("/LM/SmtpSvc/1"), a), qPrintable(a));
        QCOMPARE(item(r, QStringLiteral("/LM/SmtpSvc/1"), QStringLiteral("MasqueradeDomain"))->status, ItemStatus::Mapped);
        QCOMPARE(r.proposed.stringValue(kMasqueradeDomain), QStringLiteral("corp.example"));
        QCOMPARE(r.proposed.intValue(kMaxHops), 15);
        QCOMPARE(r.proposed.stringValue(kNdrCopyTo), QStringLiteral("postmaster@corp.example"));
        QCOMPARE(r.proposed.stringValue(kPickupDirectory), QStringLiteral("C:\\inetpub\\mailroot\\Pickup"));
        QCOMPARE(r.proposed.stringValue(kBadmailDirectory), QStringLiteral("C:\\inetpub\\mailroot\\Badmail"));
        QCOMPARE(item(r, QStringLiteral("/LM/SmtpSvc/1"), QStringLiteral("SendBadTo"))->status, ItemStatus::Noted);
        QCOMPARE(item(r, QStringLiteral("/LM/SmtpSvc/1"), QStringLiteral("RoutePassword"))->status, ItemStatus::NotMapped);
        const QString text = r.toText();
        QVERIFY(!text.contains(QLatin1String("496344627000000027000000"))); // the encrypted password is not echoed
        QVERIFY(text.contains(QLatin1String("OAuth")));
        QVERIFY(text.contains(QLatin1String("inherited from IIsSmtpService")));
    }

    void importsAPartialFileWithDefaults()
    {
        const ImportResult r = importMetabase(readData(QStringLiteral("partial.xml")), config::ConfigSnapshot());
        QVERIFY2(r.ok, qPrintable(r.toText()));
        QCOMPARE(r.proposed.listeners.size(), 2); // the default listener stays
        const auto &l = r.proposed.listeners.last();
        QCOMPARE(l.address, QStringLiteral("0.0.0.0"));
        QCOMPARE(l.port, quint16(25));
        QCOMPARE(l.relayAllow, QStringList{QStringLiteral("127.0.0.1/32")});
        QCOMPARE(r.proposed.sendConnectors.value(0).smartHosts, QStringList{QStringLiteral("10.20.30.40:25")});
    }

    void twoServersAndAnUndecodableList()
    {
        const ImportResult r = importMetabase(readData(QStringLiteral("two-servers.xml")), config::ConfigSnapshot());
        QVERIFY2(r.ok, qPrintable(r.toText()));
        QCOMPARE(r.serversImported, 2);
        QCOMPARE(r.proposed.sendConnectors.size(), 1);
        QCOMPARE(r.proposed.sendConnectors[0].smartHosts, QStringList{QStringLiteral("mail.isp.example:25")});
        const ReportItem *list2 = item(r, QStringLiteral("/LM/SmtpSvc/2"), QStringLiteral("RelayIpList"));
        QVERIFY(list2 && list2->status == ItemStatus::NotMapped && list2->outcome.contains(QLatin1String("paste")));
        QVERIFY(r.proposed.listeners.last().relayAllow.isEmpty()); // undecodable: nobody relays, never everybody
        QCOMPARE(item(r, QStringLiteral("/LM/SmtpSvc/2"), QStringLiteral("SmartHost"))->status, ItemStatus::NotMapped);
        QCOMPARE(item(r, QStringLiteral("/LM/SmtpSvc/1"), QStringLiteral("SmartHostType"))->status, ItemStatus::NotMapped);
        QCOMPARE(r.proposed.stringValue(config::keys::kRetrySchedule), QStringLiteral("600,600,600,3600"));
        QCOMPARE(item(r, QStringLiteral("/LM/SmtpSvc/2"), QStringLiteral("SmtpRemoteProgressiveRetry"))->status,
                 ItemStatus::NotMapped);
    }

    // IIS "Connection" dialog (IPSecurity) with "Only the list below": allow
    // rules for the list and deny rules for everyone else, IPv4 and IPv6.
    void importsConnectionControl()
    {
        const QByteArray blob = encodeIpSecList({QStringLiteral("192.168.10.0/24"), QStringLiteral("10.0.0.5")});
        QVERIFY(!blob.isEmpty());
        const QByteArray xml = "<?xml version=\"1.0\"?>\n<configuration><MBProperty>\n"
                               "<IIsSmtpService Location=\"/LM/SmtpSvc\"></IIsSmtpService>\n"
                               "<IIsSmtpServer Location=\"/LM/SmtpSvc/1\" ServerBindings=\":25:\" IPSecurity=\""
                               + blob.toHex() + "\"></IIsSmtpServer>\n</MBProperty></configuration>\n";
        const ImportResult r = importMetabase(xml, config::ConfigSnapshot());
        QVERIFY2(r.ok, qPrintable(r.toText()));
        const ReportItem *it = item(r, QStringLiteral("/LM/SmtpSvc/1"), QStringLiteral("IPSecurity"));
        QVERIFY(it);
        QCOMPARE(it->status, ItemStatus::Mapped);
        QVERIFY2(it->outcome.contains(QLatin1String("deny everyone else")), qPrintable(it->outcome));
        QCOMPARE(r.proposed.connectionRules.size(), 4);
        rd::policy::ConnectionControl control;
        QVERIFY(control.setRules(r.proposed.connectionRules).isEmpty());
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        auto verdict = [&](const char *ip) { return control.decide(QHostAddress(QLatin1String(ip)), now).verdict; };
        QCOMPARE(verdict("192.168.10.77"), rd::policy::ConnectionDecision::Allow);
        QCOMPARE(verdict("10.0.0.5"), rd::policy::ConnectionDecision::Allow);
        QCOMPARE(verdict("10.0.0.6"), rd::policy::ConnectionDecision::Deny);
        QCOMPARE(verdict("203.0.113.9"), rd::policy::ConnectionDecision::Deny);
        QCOMPARE(verdict("2001:db8::1"), rd::policy::ConnectionDecision::Deny);
        // A second import of the same file adds nothing twice.
        const ImportResult again = importMetabase(xml, r.proposed);
        QVERIFY2(again.ok, qPrintable(again.toText()));
        QCOMPARE(again.proposed.connectionRules.size(), 4);
    }

    void badFilesGiveAClearErrorAndNothingToApply_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("expect");
        QTest::newRow("truncated") << "malformed-truncated.xml" << "not well-formed";
        QTest::newRow("bad binding") << "bad-binding.xml" << "port is not 1-65535";
        QTest::newRow("no smtp") << "no-smtp.xml" << "no IIsSmtpServer";
        QTest::newRow("not a metabase") << "not-metabase.xml" << "not a metabase";
        QTest::newRow("hex file") << "relayiplist-salt-127.0.0.1.hex" << "line 1";
    }
    void badFilesGiveAClearErrorAndNothingToApply()
    {
        QFETCH(QString, file);
        QFETCH(QString, expect);
        const config::ConfigSnapshot base;
        const ImportResult r = importMetabase(readData(file), base);
        QVERIFY(!r.ok);
        QVERIFY2(r.errors.join(QLatin1Char('\n')).contains(expect), qPrintable(r.errors.join(QLatin1Char('\n'))));
        QVERIFY(r.toText().contains(QLatin1String("cannot be applied")));
    }

    void emptyAndBinaryInputs()
    {
        QVERIFY(!importMetabase(QByteArray(), config::ConfigSnapshot()).ok);
        QVERIFY(!importMetabase(QByteArray("\x00\x01\xff\xfe", 4), config::ConfigSnapshot()).ok);
    }

    void proposalSavesAndLoadsBack()
    {
        QTemporaryDir dir;
        config::ConfigStore store(dir.path());
        QVERIFY(store.isOpen());
        const ImportResult r = importMetabase(readData(QStringLiteral("m365-relay.xml")), store.load());
        QVERIFY(r.ok);
        QVERIFY2(store.save(r.proposed), qPrintable(store.errorString()));
        const config::ConfigSnapshot back = store.load();
        QCOMPARE(back.listeners, r.proposed.listeners);
        QCOMPARE(back.sendConnectors.size(), 1);
        QCOMPARE(back.sendConnectors[0].smartHosts, r.proposed.sendConnectors[0].smartHosts);
        // Importing again on top renames instead of duplicating.
        const ImportResult again = importMetabase(readData(QStringLiteral("m365-relay.xml")), back);
        QVERIFY2(again.ok, qPrintable(again.errors.join(QLatin1Char('\n'))));
        QCOMPARE(again.proposed.sendConnectors.size(), 2);
        QCOMPARE(again.proposed.sendConnectors[0].name, QStringLiteral("iis-smarthost-2"));
    }
};

QTEST_GUILESS_MAIN(TstIisImport)
#include "tst_iisimport.moc"
