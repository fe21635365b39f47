// Send connectors: domain patterns, first-match routing, validation, JSON
// (passwords never exported) and config.db round trips.

#include "config/configjson.h"
#include "config/configstore.h"
#include "config/sendconnector.h"

#include <QTemporaryDir>
#include <QTest>

using namespace rd::config;

namespace {

SendConnectorConfig connector(const QString &name, QStringList domains, QStringList hosts = {QStringLiteral("relay.example:25")})
{
    SendConnectorConfig c;
    c.name = name;
    c.domains = std::move(domains);
    c.smartHosts = std::move(hosts);
    return c;
}

} // namespace

class TstSendConnector : public QObject {
    Q_OBJECT
private slots:
    void patterns_data()
    {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<QString>("domain");
        QTest::addColumn<bool>("match");
        QTest::newRow("exact") << "example.com" << "example.com" << true;
        QTest::newRow("exact case") << "Example.COM" << "example.com" << true;
        QTest::newRow("trailing dot") << "example.com" << "EXAMPLE.com." << true;
        QTest::newRow("exact no sub") << "example.com" << "mail.example.com" << false;
        QTest::newRow("wild sub") << "*.example.com" << "mail.example.com" << true;
        QTest::newRow("wild deep") << "*.example.com" << "a.b.example.com" << true;
        QTest::newRow("wild not apex") << "*.example.com" << "example.com" << false;
        QTest::newRow("wild not suffix trick") << "*.example.com" << "badexample.com" << false;
        QTest::newRow("star") << "*" << "anything.test" << true;
        QTest::newRow("other") << "example.com" << "example.org" << false;
    }
    void patterns()
    {
        QFETCH(QString, pattern);
        QFETCH(QString, domain);
        QFETCH(bool, match);
        QCOMPARE(domainMatches(pattern, domain), match);
    }

    void firstMatchWins()
    {
        const QList<SendConnectorConfig> list = {
            connector(QStringLiteral("m365"), {QStringLiteral("contoso.com"), QStringLiteral("*.contoso.com")}),
            connector(QStringLiteral("partner"), {QStringLiteral("*.partner.example")}),
            connector(QStringLiteral("default"), {QStringLiteral("*")}),
            connector(QStringLiteral("never"), {QStringLiteral("contoso.com")}),
        };
        QCOMPARE(routeFor(list, QStringLiteral("contoso.com")), 0);
        QCOMPARE(routeFor(list, QStringLiteral("eu.contoso.com")), 0);
        QCOMPARE(routeFor(list, QStringLiteral("x.partner.example")), 1);
        QCOMPARE(routeFor(list, QStringLiteral("partner.example")), 2);
        QCOMPARE(routeFor(list, QStringLiteral("gmail.com")), 2);
        QCOMPARE(routeFor(list.mid(0, 2), QStringLiteral("gmail.com")), -1);
    }

    void validation()
    {
        SendConnectorConfig ok = connector(QStringLiteral("a"), {QStringLiteral("*")});
        QVERIFY(validateSendConnectors({ok}).isEmpty());

        QList<SendConnectorConfig> bad;
        bad << connector(QStringLiteral("dup"), {QStringLiteral("*")});
        bad << connector(QStringLiteral("DUP"), {QStringLiteral("a..b")}, {QStringLiteral("host:99999")});
        SendConnectorConfig mx = connector(QStringLiteral("mx"), {QStringLiteral("*.x.example")}, {});
        mx.route = QStringLiteral("mx");
        bad << mx; // valid: mx needs no smart host
        SendConnectorConfig noHost = connector(QStringLiteral("nohost"), {QStringLiteral("*")}, {});
        bad << noHost;
        SendConnectorConfig clear = connector(QStringLiteral("clear"), {QStringLiteral("*")});
        clear.tls = QStringLiteral("none");
        clear.authUser = QStringLiteral("u");
        bad << clear;
        SendConnectorConfig policy = connector(QStringLiteral("policy"), {QStringLiteral("*")});
        policy.tls = QStringLiteral("sometimes");
        policy.maxConnections = 0;
        bad << policy;
        const QString all = validateSendConnectors(bad).join(QLatin1Char('\n'));
        QVERIFY2(all.contains(QStringLiteral("another send connector has this name")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("\"a..b\" is not a domain")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("smart host \"host:99999\"")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("(\"nohost\"): a smart host (host:port) is required")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("AUTH credentials need TLS")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("tls \"sometimes\"")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("max_connections must be 1-1000")), qPrintable(all));
        QVERIFY2(!all.contains(QStringLiteral("(\"mx\")")), qPrintable(all));
    }

    void jsonRoundTripWithoutSecrets()
    {
        ConfigSnapshot cfg;
        SendConnectorConfig c = connector(QStringLiteral("m365"), {QStringLiteral("*")},
                                          {QStringLiteral("smtp.office365.com:587"), QStringLiteral("backup.example:25")});
        c.tls = QStringLiteral("verify");
        c.authUser = QStringLiteral("scanner@contoso.com");
        c.authPassword = QStringLiteral("hunter2-secret");
        c.maxMessagesPerConnection = 7;
        cfg.sendConnectors << c;
        const QByteArray exported = configToJson(cfg);
        QVERIFY(!exported.contains("hunter2-secret"));
        QVERIFY(exported.contains("smtp.office365.com:587"));
        ConfigSnapshot back;
        QStringList errors;
        QVERIFY2(configFromJson(exported, &back, &errors), qPrintable(errors.join(QLatin1Char('\n'))));
        QCOMPARE(back.sendConnectors.size(), 1);
        QCOMPARE(back.sendConnectors.first().authPassword, QString());
        QCOMPARE(back.sendConnectors.first().smartHosts, c.smartHosts);
        QCOMPARE(back.sendConnectors.first().maxMessagesPerConnection, 7);
        keepStoredSecrets(&back.sendConnectors, cfg.sendConnectors);
        QCOMPARE(back.sendConnectors.first(), c);

        const QByteArray withSecret = configToJson(cfg, true);
        QVERIFY(withSecret.contains("hunter2-secret"));
    }

    void jsonErrorsNameTheConnector()
    {
        const QByteArray json = R"({"format":"relaydesk-config","version":1,
            "send_connectors":[{"name":"x","domains":"*","smart_hosts":["h:25"],"colour":"red"}]})";
        ConfigSnapshot out;
        QStringList errors;
        QVERIFY(!configFromJson(json, &out, &errors));
        const QString all = errors.join(QLatin1Char('\n'));
        QVERIFY2(all.contains(QStringLiteral("send_connectors[0]: unknown key \"colour\"")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("send_connectors[0]: \"domains\" must be an array of strings")),
                 qPrintable(all));
    }

    void storeRoundTrip()
    {
        QTemporaryDir dir;
        ConfigSnapshot cfg;
        SendConnectorConfig a = connector(QStringLiteral("first"), {QStringLiteral("a.example"), QStringLiteral("*.a.example")});
        a.authUser = QStringLiteral("u");
        a.authPassword = QStringLiteral("p");
        SendConnectorConfig b = connector(QStringLiteral("second"), {QStringLiteral("*")}, {});
        b.route = QStringLiteral("mx");
        b.implicitTls = true;
        b.tls = QStringLiteral("required");
        cfg.sendConnectors = {a, b};
        {
            ConfigStore store(dir.path());
            QVERIFY2(store.save(cfg), qPrintable(store.errorString()));
        }
        ConfigStore store(dir.path());
        QStringList warnings;
        const ConfigSnapshot back = store.load(&warnings);
        QVERIFY(warnings.isEmpty());
        QCOMPARE(back.sendConnectors, cfg.sendConnectors); // order and secret kept
    }
};

QTEST_GUILESS_MAIN(TstSendConnector)
#include "tst_sendconnector.moc"
