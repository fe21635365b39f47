// Settings registry, JSON import/export and the config database.
#include "config/configjson.h"
#include "config/configstore.h"
#include "config/settings.h"

#include <QFile>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace rd::config;

class TestConfig : public QObject {
    Q_OBJECT
private slots:
    void keysAreUniqueAndDefaultsValid()
    {
        QSet<QString> seen;
        for (const SettingDef &d : allSettings()) {
            QVERIFY2(!seen.contains(d.key), qPrintable(d.key));
            seen.insert(d.key);
            QVariant out;
            QString error;
            QVERIFY2(validateSetting(d, d.defaultValue, &out, &error), qPrintable(d.key + QLatin1String(": ") + error));
        }
        QVERIFY(seen.size() >= 10);
    }

    void defaultsListenOnLoopback2525()
    {
        ConfigSnapshot c;
        QCOMPARE(c.listeners.size(), 1);
        QCOMPARE(c.listeners.first().address, QStringLiteral("127.0.0.1"));
        QCOMPARE(c.listeners.first().port, quint16(2525));
        QCOMPARE(c.listeners.first().relayAllow, QStringList{QStringLiteral("127.0.0.1/32")});
        QCOMPARE(c.intValue(keys::kMaxRecipients), 100);
        QCOMPARE(c.stringValue(keys::kSmartHost), QString());
    }

    void jsonRoundTrip()
    {
        ConfigSnapshot c;
        QString e;
        QVERIFY(c.setValue(QStringLiteral("delivery.smarthost"), QStringLiteral("[::1]:2526"), &e));
        QVERIFY(c.setValue(QStringLiteral("smtp.max_recipients"), 7, &e));
        c.listeners.first().relayDeny = {QStringLiteral("127.0.0.9")};
        c.listeners.first().relayGroups = {QStringLiteral("CN=Relay senders,CN=Users,DC=example,DC=test")};
        c.listeners.first().senderCheck = true;
        c.listeners.first().proxyFrom = {QStringLiteral("10.1.2.3"), QStringLiteral("fd00::/64")};
        c.acceptedDomains = {QStringLiteral("example.test")};
        ConfigSnapshot back;
        QStringList errors;
        QVERIFY2(configFromJson(configToJson(c), &back, &errors), qPrintable(errors.join(QLatin1Char('\n'))));
        QCOMPARE(back.stringValue(keys::kSmartHost), QStringLiteral("[::1]:2526"));
        QCOMPARE(back.intValue(keys::kMaxRecipients), 7);
        QVERIFY(back == c);
    }

    // acme.tsig_secret is a secret setting: out of exports unless asked, kept over an import without it,
    // never echoed in a validation error.
    void secretSettingsStayOutOfExports()
    {
        const QString secret = QStringLiteral("c2VjcmV0LXRzaWcta2V5LWJ5dGVzLTAxMjM0NTY3ODk=");
        ConfigSnapshot c;
        QString e;
        QVERIFY2(c.setValue(QString::fromLatin1(keys::kAcmeDnsUpdateServer), QStringLiteral("ns1.example.test"), &e),
                 qPrintable(e));
        QVERIFY2(c.setValue(QString::fromLatin1(keys::kAcmeTsigKeyName), QStringLiteral("acme-key"), &e), qPrintable(e));
        QVERIFY2(c.setValue(QString::fromLatin1(keys::kAcmeTsigSecret), secret, &e), qPrintable(e));
        const SettingDef *def = findSetting(QString::fromLatin1(keys::kAcmeTsigSecret));
        QVERIFY(def && def->secret);
        QVERIFY(!findSetting(QString::fromLatin1(keys::kAcmeTsigKeyName))->secret);

        const QByteArray plain = configToJson(c);
        QVERIFY(!plain.contains(secret.toLatin1()));
        QVERIFY(!plain.contains("acme.tsig_secret"));
        QVERIFY(plain.contains("\"acme.tsig_key_name\": \"acme-key\""));
        QVERIFY(configToJson(c, true).contains(secret.toLatin1()));

        ConfigSnapshot back;
        QStringList errors;
        QVERIFY2(configFromJson(plain, &back, &errors), qPrintable(errors.join(QLatin1Char('\n'))));
        QCOMPARE(back.stringValue(keys::kAcmeTsigSecret), QString());
        keepStoredSecretSettings(&back, c);
        QCOMPARE(back.stringValue(keys::kAcmeTsigSecret), secret);
        QVERIFY(back == c);
        // A new secret in the import wins.
        ConfigSnapshot other = c;
        QVERIFY(other.setValue(QString::fromLatin1(keys::kAcmeTsigSecret), QStringLiteral("bmV3"), &e));
        keepStoredSecretSettings(&other, c);
        QCOMPARE(other.stringValue(keys::kAcmeTsigSecret), QStringLiteral("bmV3"));

        QVERIFY(!c.setValue(QString::fromLatin1(keys::kAcmeTsigSecret), QStringLiteral("not base64 *secret*"), &e));
        QVERIFY2(!e.contains(QStringLiteral("*secret*")), qPrintable(e));
    }

    void dnsUpdateServerForms()
    {
        QString host, error;
        quint16 port = 0;
        QVERIFY(parseDnsUpdateServer(QStringLiteral("ns1.example.test"), &host, &port, &error));
        QCOMPARE(host, QStringLiteral("ns1.example.test"));
        QCOMPARE(port, quint16(53));
        QVERIFY(parseDnsUpdateServer(QStringLiteral("10.0.0.1:5353"), &host, &port, &error));
        QCOMPARE(host, QStringLiteral("10.0.0.1"));
        QCOMPARE(port, quint16(5353));
        QVERIFY(parseDnsUpdateServer(QStringLiteral("2001:db8::1"), &host, &port, &error));
        QCOMPARE(host, QStringLiteral("2001:db8::1"));
        QCOMPARE(port, quint16(53));
        QVERIFY(parseDnsUpdateServer(QStringLiteral("[2001:db8::1]:8053"), &host, &port, &error));
        QCOMPARE(port, quint16(8053));
        QVERIFY(!parseDnsUpdateServer(QStringLiteral("ns1:notaport"), &host, &port, &error));
    }

    void badJson_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("expected");
        const QByteArray head = R"({"format":"relaydesk-config","version":1,)";
        QTest::newRow("not json") << QByteArray("{nope") << "not valid JSON";
        QTest::newRow("array") << QByteArray("[]") << "top level";
        QTest::newRow("format") << QByteArray(R"({"format":"x","version":1})") << "\"format\"";
        QTest::newRow("version") << QByteArray(R"({"format":"relaydesk-config","version":2})") << "\"version\"";
        QTest::newRow("unknown top") << head + R"("bogus":1})" << "unknown top-level key \"bogus\"";
        QTest::newRow("unknown setting") << head + R"("settings":{"smtp.nope":1}})" << "unknown setting \"smtp.nope\"";
        QTest::newRow("range") << head + R"("settings":{"smtp.max_recipients":0}})" << "out of range";
        QTest::newRow("type") << head + R"("settings":{"smtp.max_recipients":"x"}})" << "whole number";
        QTest::newRow("smarthost") << head + R"("settings":{"delivery.smarthost":"nohostport"}})" << "host:port";
        QTest::newRow("schedule") << head + R"("settings":{"delivery.retry_schedule":"1,x"}})" << "seconds";
        QTest::newRow("cidr") << head + R"("listeners":[{"address":"127.0.0.1","port":25,"relay_allow":["10.0.0.0/33"]}]})"
                              << "prefix length 33";
        QTest::newRow("host bits") << head + R"("listeners":[{"address":"127.0.0.1","port":25,"relay_allow":["10.0.0.1/8"]}]})"
                                   << "host bits";
        QTest::newRow("port") << head + R"("listeners":[{"address":"127.0.0.1","port":70000}]})" << "port";
        QTest::newRow("proxy_from") << head + R"("listeners":[{"address":"127.0.0.1","port":25,"proxy_from":["lb1"]}]})"
                                    << "proxy_from";
        QTest::newRow("relay group") << head + R"("listeners":[{"address":"127.0.0.1","port":25,"relay_groups":["Relay senders"]}]})"
                                     << "is not a DN";
        QTest::newRow("directory server") << head + R"("settings":{"directory.servers":"http://dc1"}})"
                                          << "not a directory server";
        QTest::newRow("user filter") << head + R"x("settings":{"directory.user_filter":"(uid=alice)"}})x" << "%u";
        QTest::newRow("address") << head + R"("listeners":[{"address":"localhost","port":25}]})" << "not an IPv4";
        QTest::newRow("tsig algorithm") << head + R"("settings":{"acme.tsig_algorithm":"hmac-md5"}})"
                                        << "hmac-sha256 or hmac-sha512";
        QTest::newRow("update server") << head + R"("settings":{"acme.dns_update_server":"a b"}})"
                                       << "not a host name";
        QTest::newRow("dup") << head + R"("listeners":[{"address":"127.0.0.1","port":25},{"address":"127.0.0.1","port":25}]})"
                             << "used by another listener";
    }

    void badJson()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, expected);
        ConfigSnapshot out;
        out.acceptedDomains = {QStringLiteral("untouched")};
        QStringList errors;
        QVERIFY(!configFromJson(json, &out, &errors));
        QVERIFY(!errors.isEmpty());
        QVERIFY2(errors.join(QLatin1Char('\n')).contains(expected), qPrintable(errors.join(QLatin1Char('\n'))));
        QCOMPARE(out.acceptedDomains, QStringList{QStringLiteral("untouched")});
    }

    void storeSavesAndLoads()
    {
        QTemporaryDir dir;
        ConfigSnapshot c;
        QString e;
        QVERIFY(c.setValue(QStringLiteral("server.hostname"), QStringLiteral("relay.example.test"), &e));
        c.listeners = {ListenerConfig{QStringLiteral("a"), QStringLiteral("::1"), 2600, {QStringLiteral("::1/128")}, {}},
                       ListenerConfig{}};
        // Directory rights per listener (issue #10) survive the store.
        c.listeners[0].relayGroups = {QStringLiteral("cn=Relay senders,ou=groups,dc=example,dc=test"),
                                      QStringLiteral("CN=Helpdesk,OU=Groups,DC=example,DC=test")};
        c.listeners[0].senderCheck = true;
        c.listeners[0].proxyFrom = {QStringLiteral("10.0.0.5/32"), QStringLiteral("fd00::/64")};
        {
            ConfigStore store(dir.path());
            QVERIFY2(store.isOpen(), qPrintable(store.errorString()));
            QVERIFY(store.save(c));
        }
        ConfigStore store(dir.path());
        const ConfigSnapshot back = store.load();
        QCOMPARE(back.stringValue(keys::kHostname), QStringLiteral("relay.example.test"));
        QCOMPARE(back.listeners.size(), 2);
        QCOMPARE(back.listeners.first().address, QStringLiteral("::1"));
        QCOMPARE(back.listeners.first().port, quint16(2600));
        QVERIFY(back == c);
        QFile f(dir.filePath(QStringLiteral("config.db")));
        QCOMPARE(int(f.permissions() & (QFileDevice::ReadOther | QFileDevice::ReadGroup)), 0);
    }

    void corruptDatabaseIsReportedAndKept()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("config.db"));
        QByteArray garbage(8192, 'x');
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(garbage);
        }
        ConfigStore store(dir.path());
        QVERIFY(!store.isOpen());
        QVERIFY2(store.errorString().contains(path), qPrintable(store.errorString()));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), garbage); // never deleted or overwritten
    }
};

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"
