// Send connectors: domain patterns, first-match routing, validation, JSON
// (passwords never exported) and config.db round trips.

#include "config/configjson.h"
#include "config/configstore.h"
#include "config/sendconnector.h"

#include <QSqlDatabase>
#include <QSqlQuery>
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

    // ---- OAuth 2.0 connectors (config.db schema v6) ----

    static SendConnectorConfig oauthConnector()
    {
        SendConnectorConfig c = connector(QStringLiteral("m365"), {QStringLiteral("*")},
                                          {QStringLiteral("smtp.office365.com:587")});
        c.tls = QStringLiteral("verify");
        c.authMechanism = QStringLiteral("oauth2");
        c.oauth.tenant = QStringLiteral("contoso.onmicrosoft.com");
        c.oauth.clientId = QStringLiteral("11111111-2222-3333-4444-555555555555");
        c.oauth.mailbox = QStringLiteral("scanner@contoso.com");
        c.oauthSecrets.clientSecret = QStringLiteral("client-secret-value");
        c.oauthSecrets.refreshToken = QStringLiteral("refresh-token-value");
        c.oauthSecrets.privateKeyPem = QStringLiteral("-----BEGIN PRIVATE KEY-----\nkey-material\n-----END PRIVATE KEY-----\n");
        return c;
    }

    void oauthValidation()
    {
        SendConnectorConfig ok = oauthConnector();
        QVERIFY2(validateSendConnectors({ok}).isEmpty(), qPrintable(validateSendConnectors({ok}).join('\n')));
        SendConnectorConfig bad = ok;
        bad.tls = QStringLiteral("none");
        bad.oauth.clientId.clear();
        bad.oauth.mailbox = QStringLiteral("nobody");
        bad.oauth.sasl = QStringLiteral("plain");
        bad.oauth.tenant.clear();
        bad.authUser = QStringLiteral("u");
        const QString all = validateSendConnectors({bad}).join(QLatin1Char('\n'));
        QVERIFY2(all.contains(QStringLiteral("OAuth 2.0 sign-in needs TLS")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("client_id is required")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("mailbox")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("sasl \"plain\"")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("token_endpoint")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("auth_user is for password AUTH")), qPrintable(all));
        SendConnectorConfig http = ok;
        http.oauth.tokenEndpoint = QStringLiteral("http://idp.example/token");
        QVERIFY(validateSendConnectors({http}).join(' ').contains(QStringLiteral("must use https")));
        http.oauth.tokenEndpoint = QStringLiteral("http://127.0.0.1:8080/token"); // loopback tests only
        QVERIFY(validateSendConnectors({http}).isEmpty());
        SendConnectorConfig cert = ok;
        cert.oauth.clientAuth = QStringLiteral("certificate");
        QVERIFY(validateSendConnectors({cert}).join(' ').contains(QStringLiteral("certificate (PEM)")));
        SendConnectorConfig mech = ok;
        mech.authMechanism = QStringLiteral("kerberos");
        QVERIFY(validateSendConnectors({mech}).join(' ').contains(QStringLiteral("auth_mechanism")));
    }

    void oauthJsonNeverExportsSecrets()
    {
        ConfigSnapshot cfg;
        cfg.sendConnectors << oauthConnector();
        const QByteArray exported = configToJson(cfg);
        QVERIFY(!exported.contains("client-secret-value"));
        QVERIFY(!exported.contains("refresh-token-value"));
        QVERIFY(!exported.contains("key-material"));
        QVERIFY(exported.contains("scanner@contoso.com"));
        ConfigSnapshot back;
        QStringList errors;
        QVERIFY2(configFromJson(exported, &back, &errors), qPrintable(errors.join(QLatin1Char('\n'))));
        QCOMPARE(back.sendConnectors.first().oauth, cfg.sendConnectors.first().oauth);
        QVERIFY(back.sendConnectors.first().oauthSecrets.isEmpty());
        keepStoredSecrets(&back.sendConnectors, cfg.sendConnectors);
        QCOMPARE(back.sendConnectors.first(), cfg.sendConnectors.first());
        // Another app registration does not inherit the old secrets.
        ConfigSnapshot other;
        QVERIFY(configFromJson(exported, &other, &errors));
        other.sendConnectors.first().oauth.clientId = QStringLiteral("another-app");
        keepStoredSecrets(&other.sendConnectors, cfg.sendConnectors);
        QVERIFY(other.sendConnectors.first().oauthSecrets.isEmpty());
        // With secrets (backup), everything comes back.
        ConfigSnapshot full;
        QVERIFY(configFromJson(configToJson(cfg, true), &full, &errors));
        QCOMPARE(full.sendConnectors.first(), cfg.sendConnectors.first());
        // Typos are reported with the connector's position.
        const QByteArray typo = R"({"format":"relaydesk-config","version":1,
            "send_connectors":[{"name":"x","smart_hosts":["h:25"],"auth_mechanism":"oauth2",
             "oauth":{"client_id":5,"tennant":"x"}}]})";
        ConfigSnapshot t;
        errors.clear();
        QVERIFY(!configFromJson(typo, &t, &errors));
        const QString all = errors.join(QLatin1Char('\n'));
        QVERIFY2(all.contains(QStringLiteral("unknown key \"oauth.tennant\"")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("\"oauth.client_id\" must be a string")), qPrintable(all));
    }

    void oauthStoreRoundTrip()
    {
        QTemporaryDir dir;
        ConfigSnapshot cfg;
        SendConnectorConfig c = oauthConnector();
        c.oauth.flow = QStringLiteral("authorization_code");
        c.oauth.sasl = QStringLiteral("oauthbearer");
        cfg.sendConnectors = {c, connector(QStringLiteral("plain"), {QStringLiteral("x.example")})};
        {
            ConfigStore store(dir.path());
            QVERIFY2(store.save(cfg), qPrintable(store.errorString()));
        }
        {
            ConfigStore store(dir.path());
            QStringList warnings;
            QCOMPARE(store.load(&warnings).sendConnectors, cfg.sendConnectors);
        }
        // The columns and the oauth_tokens row as the lead's schema v6 defines them.
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("peek"));
            db.setDatabaseName(dir.filePath(QStringLiteral("config.db")));
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("SELECT auth_mechanism, oauth, oauth_secret FROM send_connectors "
                                          "WHERE name = 'm365'")));
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toString(), QStringLiteral("oauth2"));
            QVERIFY(!q.value(1).toString().contains(QLatin1String("client-secret-value")));
            QVERIFY(q.value(2).toString().contains(QLatin1String("client-secret-value")));
            QVERIFY(!q.value(2).toString().contains(QLatin1String("refresh-token-value")));
            QVERIFY(q.exec(QStringLiteral("SELECT refresh_token FROM oauth_tokens WHERE connector = 'm365'")));
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toString(), QStringLiteral("refresh-token-value"));
            QString error;
            QVERIFY(saveRefreshToken(db, QStringLiteral("m365"), QStringLiteral("rotated"), &error));
            q = QSqlQuery(db);
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("peek"));
        ConfigStore store(dir.path());
        QCOMPARE(store.load().sendConnectors.first().oauthSecrets.refreshToken, QStringLiteral("rotated"));
    }
};

QTEST_GUILESS_MAIN(TstSendConnector)
#include "tst_sendconnector.moc"
