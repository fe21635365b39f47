// Connection control: config::ConnectionRule (network syntax, validation,
// JSON, config.db) and policy::ConnectionControl (priority, specificity,
// deny-over-allow, expiry, IPv4-mapped IPv6), checked against Python's
// `ipaddress` module as an independent oracle on random rule sets, and
// against a brute-force scan with QHostAddress::isInSubnet on 10 000 rules.
// The time per decision with 10 000 rules is printed, not asserted.

#include "config/configjson.h"
#include "config/configsnapshot.h"
#include "config/configstore.h"
#include "config/connectionrules.h"
#include "policy/banlist.h"
#include "policy/connectionadmission.h"
#include "policy/connectioncontrol.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

using rd::config::ConnectionAction;
using rd::config::ConnectionRule;
using rd::policy::ConnectionControl;
using rd::policy::ConnectionDecision;

namespace {

const qint64 kNow = QDateTime(QDate(2026, 11, 27), QTime(12, 0), Qt::UTC).toMSecsSinceEpoch();

ConnectionRule rule(const QString &network, ConnectionAction action, int priority = 100,
                    const QString &comment = {}, QDateTime expires = {}, bool enabled = true)
{
    ConnectionRule r;
    r.network = network;
    r.action = action;
    r.priority = priority;
    r.comment = comment;
    r.expires = expires;
    r.enabled = enabled;
    return r;
}

ConnectionRule allow(const QString &n, int p = 100, const QString &c = {}) { return rule(n, ConnectionAction::Allow, p, c); }
ConnectionRule deny(const QString &n, int p = 100, const QString &c = {}) { return rule(n, ConnectionAction::Deny, p, c); }

QString verdictText(const ConnectionDecision &d)
{
    switch (d.verdict) {
    case ConnectionDecision::Allow: return QStringLiteral("allow:%1").arg(d.ruleIndex);
    case ConnectionDecision::Deny: return QStringLiteral("deny:%1").arg(d.ruleIndex);
    case ConnectionDecision::NoMatch: break;
    }
    return QStringLiteral("none");
}

QString decide(const QList<ConnectionRule> &rules, const char *ip, qint64 now = kNow)
{
    ConnectionControl cc;
    const QStringList problems = cc.setRules(rules);
    if (!problems.isEmpty())
        return QStringLiteral("problems: ") + problems.join(QStringLiteral("; "));
    return verdictText(cc.decide(QHostAddress(QString::fromLatin1(ip)), now));
}

// The same ordering, written the slow obvious way with Qt's own subnet test.
QString bruteForce(const QList<ConnectionRule> &rules, const QHostAddress &client, qint64 now)
{
    const QHostAddress a = rd::util::normalizedAddress(client);
    int best = -1;
    int bestPrefix = -1;
    for (int i = 0; i < rules.size(); ++i) {
        const ConnectionRule &r = rules.at(i);
        if (!r.enabled || (r.expires.isValid() && r.expires.toMSecsSinceEpoch() <= now))
            continue;
        const auto net = QHostAddress::parseSubnet(r.network);
        if (net.first.protocol() != a.protocol() || !a.isInSubnet(net.first, net.second))
            continue;
        bool wins = best < 0;
        if (!wins) {
            const ConnectionRule &b = rules.at(best);
            if (r.priority != b.priority)
                wins = r.priority > b.priority;
            else if (net.second != bestPrefix)
                wins = net.second > bestPrefix;
            else
                wins = r.action == ConnectionAction::Deny && b.action == ConnectionAction::Allow;
        }
        if (wins) {
            best = i;
            bestPrefix = net.second;
        }
    }
    if (best < 0)
        return QStringLiteral("none");
    return QStringLiteral("%1:%2").arg(rd::config::connectionActionName(rules.at(best).action)).arg(best);
}

// Random rules clustered in a few networks so that ranges nest and collide.
QList<ConnectionRule> randomRules(QRandomGenerator &rng, int count, bool withExpiry)
{
    const quint32 v4Bases[] = {0xC0000200u /*192.0.2.0*/, 0x0A000000u /*10.0.0.0*/, 0xC6336400u /*198.51.100.0*/};
    QList<ConnectionRule> rules;
    while (rules.size() < count) {
        ConnectionRule r;
        r.action = rng.bounded(2) ? ConnectionAction::Allow : ConnectionAction::Deny;
        r.priority = int(rng.bounded(4)) * 10;
        if (rng.bounded(3) == 0) {
            const int prefix = 16 + int(rng.bounded(113));
            Q_IPV6ADDR b{};
            b[0] = 0x20; b[1] = 0x01; b[2] = 0x0d; b[3] = 0xb8;
            for (int i = 4; i < 16; ++i)
                b[i] = quint8(rng.bounded(i < 8 ? 2 : 4));
            QHostAddress a(b);
            const auto net = QHostAddress::parseSubnet(a.toString() + QLatin1Char('/') + QString::number(prefix));
            r.network = net.first.toString() + QLatin1Char('/') + QString::number(prefix);
        } else {
            const int prefix = 8 + int(rng.bounded(25));
            const quint32 addr = v4Bases[rng.bounded(3)] | (rng.bounded(2) ? quint32(rng.bounded(256)) : 0u)
                               | (rng.bounded(4) == 0 ? quint32(rng.bounded(256)) << 8 : 0u);
            const quint32 m = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
            r.network = QHostAddress(addr & m).toString() + QLatin1Char('/') + QString::number(prefix);
        }
        if (withExpiry && rng.bounded(4) == 0)
            r.expires = QDateTime::fromMSecsSinceEpoch(kNow + (qint64(rng.bounded(3)) - 1) * 60000, Qt::UTC);
        r.enabled = rng.bounded(10) != 0;
        rules << r;
    }
    return rules;
}

QList<QHostAddress> randomClients(QRandomGenerator &rng, int count)
{
    QList<QHostAddress> out;
    const quint32 v4Bases[] = {0xC0000200u, 0x0A000000u, 0xC6336400u, 0x08080808u};
    for (int i = 0; i < count; ++i) {
        const int kind = int(rng.bounded(5));
        if (kind == 0) {
            Q_IPV6ADDR b{};
            b[0] = 0x20; b[1] = 0x01; b[2] = 0x0d; b[3] = 0xb8;
            for (int j = 4; j < 16; ++j)
                b[j] = quint8(rng.bounded(j < 8 ? 2 : 4));
            out << QHostAddress(b);
        } else {
            const quint32 a = v4Bases[rng.bounded(4)] | quint32(rng.bounded(256)) | (rng.bounded(4) == 0 ? quint32(rng.bounded(256)) << 8 : 0u);
            // Every fifth IPv4 client arrives IPv4-mapped on a dual-stack socket.
            out << (kind == 1 ? QHostAddress(QStringLiteral("::ffff:") + QHostAddress(a).toString()) : QHostAddress(a));
        }
    }
    return out;
}

} // namespace

class TestConnectionControl : public QObject {
    Q_OBJECT

private slots:
    void parseNetwork_data();
    void parseNetwork();
    void validation();
    void expiredRuleIsFlaggedNotRefused();
    void jsonRoundTrip();
    void jsonErrors();
    void configStoreRoundTrip();
    void decisions_data();
    void decisions();
    void expiryEndsAnAllowance();
    void admissionTexts();
    void matchesPythonIpaddress();
    void tenThousandRules();
};

void TestConnectionControl::parseNetwork_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("canonical"); // empty: an error containing `error`
    QTest::addColumn<QString>("error");
    QTest::newRow("v4 everything") << "0.0.0.0/0" << "0.0.0.0/0" << "";
    QTest::newRow("v6 everything") << "::/0" << "::/0" << "";
    QTest::newRow("v4 host /32") << "192.0.2.7/32" << "192.0.2.7/32" << "";
    QTest::newRow("v4 bare host") << "192.0.2.7" << "192.0.2.7/32" << "";
    QTest::newRow("v6 host /128") << "2001:db8::1/128" << "2001:db8::1/128" << "";
    QTest::newRow("v6 bare host") << "2001:DB8::1" << "2001:db8::1/128" << "";
    QTest::newRow("mapped range") << "::ffff:192.0.2.0/120" << "192.0.2.0/24" << "";
    QTest::newRow("mapped /96 is all v4") << "::ffff:0.0.0.0/96" << "0.0.0.0/0" << "";
    QTest::newRow("mapped host") << "::ffff:192.0.2.9" << "192.0.2.9/32" << "";
    QTest::newRow("mapped prefix too short") << "::ffff:0.0.0.0/64" << "" << "96 to 128";
    QTest::newRow("v4 host bits") << "192.0.2.1/24" << "" << "host bits set (did you mean 192.0.2.0/24";
    QTest::newRow("v6 host bits") << "2001:db8::1/64" << "" << "host bits set (did you mean 2001:db8::/64";
    QTest::newRow("v4 prefix 33") << "10.0.0.0/33" << "" << "out of range (0-32)";
    QTest::newRow("v6 prefix 129") << "::/129" << "" << "out of range (0-128)";
    QTest::newRow("bad octet") << "300.1.1.1" << "" << "not an IPv4 or IPv6 address";
    QTest::newRow("name") << "mail.example.com" << "" << "not an IPv4 or IPv6 address";
    QTest::newRow("empty prefix") << "10.0.0.0/" << "" << "not a number";
}

void TestConnectionControl::parseNetwork()
{
    QFETCH(QString, text);
    QFETCH(QString, canonical);
    QFETCH(QString, error);
    rd::util::CidrRange r;
    QString why;
    const bool ok = rd::config::parseRuleNetwork(text, &r, &why);
    QCOMPARE(ok, !canonical.isEmpty());
    if (ok)
        QCOMPARE(r.toString(), canonical);
    else
        QVERIFY2(why.contains(error), qPrintable(why));
}

void TestConnectionControl::validation()
{
    ConnectionRule cr = deny(QStringLiteral("10.0.0.0/8"), 5, QStringLiteral("bad\r\n250 ok"));
    const QList<ConnectionRule> rules = {
        deny(QStringLiteral("10.0.0.1/8"), 100, QStringLiteral("typo")),
        allow(QStringLiteral("2001:db8::/32"), 2000000),
        cr,
        deny(QStringLiteral("192.0.2.0/24"), 50, QStringLiteral("first")),
        deny(QStringLiteral("192.0.2.0/24"), 50, QStringLiteral("second")),
        allow(QStringLiteral("192.0.2.0/24"), 50, QStringLiteral("not a duplicate: other action")),
        allow(QString()),
    };
    const QStringList errors = rd::config::validateConnectionRules(rules);
    const QString all = errors.join(QLatin1Char('\n'));
    QVERIFY2(errors.size() == 5, qPrintable(all));
    QVERIFY(errors.at(0).startsWith(QStringLiteral("connection rule 1 (typo): network: 10.0.0.1/8 has host bits set")));
    QVERIFY(errors.at(1).startsWith(QStringLiteral("connection rule 2 (2001:db8::/32): priority: 2000000 is out of range")));
    QVERIFY(errors.at(2).contains(QStringLiteral("comment: contains a control character")));
    QVERIFY(errors.at(3).startsWith(QStringLiteral("connection rule 5 (second): network: duplicates connection rule 4")));
    QVERIFY(errors.at(4).startsWith(QStringLiteral("connection rule 7 (no network): network: an address or CIDR range is required")));

    // ConfigSnapshot::validate() carries them.
    rd::config::ConfigSnapshot cfg;
    cfg.connectionRules = rules;
    QVERIFY(cfg.validate().join(QLatin1Char('\n')).contains(QStringLiteral("connection rule 1 (typo)")));
    // ConnectionControl skips what does not parse and says so.
    ConnectionControl cc;
    const QStringList skipped = cc.setRules(rules);
    QCOMPARE(skipped.size(), 2); // host bits, empty network
    QCOMPARE(cc.ruleCount(), int(rules.size()) - 2);
}

void TestConnectionControl::expiredRuleIsFlaggedNotRefused()
{
    const QDateTime now = QDateTime::fromMSecsSinceEpoch(kNow, Qt::UTC);
    QList<ConnectionRule> rules = {
        rule(QStringLiteral("192.0.2.0/24"), ConnectionAction::Allow, 100, QStringLiteral("contractor"), now.addDays(-1)),
        rule(QStringLiteral("198.51.100.0/24"), ConnectionAction::Allow, 100, QStringLiteral("tomorrow"), now.addDays(1)),
        rule(QStringLiteral("203.0.113.0/24"), ConnectionAction::Allow, 100, QStringLiteral("off"), now.addDays(-1), false),
    };
    QVERIFY(rd::config::validateConnectionRules(rules).isEmpty());
    const QStringList notes = rd::config::connectionRuleWarnings(rules, now);
    QCOMPARE(notes.size(), 1);
    QCOMPARE(notes.first(), QStringLiteral("connection rule 1 (contractor): expired 2026-11-26 12:00 UTC; kept, but it "
                                           "no longer applies"));
}

void TestConnectionControl::jsonRoundTrip()
{
    rd::config::ConfigSnapshot cfg;
    cfg.connectionRules = {
        deny(QStringLiteral("0.0.0.0/0"), 0, QStringLiteral("default deny")),
        rule(QStringLiteral("2001:db8:1::/48"), ConnectionAction::Allow, 500, QStringLiteral("branch"),
             QDateTime(QDate(2027, 1, 31), QTime(18, 30), Qt::UTC)),
        rule(QStringLiteral("198.51.100.7"), ConnectionAction::Deny, 1000000, QString(), {}, false),
    };
    const QByteArray json = rd::config::configToJson(cfg);
    const QJsonArray arr = QJsonDocument::fromJson(json).object().value(QStringLiteral("connection_rules")).toArray();
    QCOMPARE(arr.size(), 3);
    QCOMPARE(arr.at(1).toObject().value(QStringLiteral("expires")).toString(), QStringLiteral("2027-01-31T18:30:00Z"));
    QCOMPARE(arr.at(0).toObject().value(QStringLiteral("expires")).toString(), QString());
    rd::config::ConfigSnapshot back;
    QStringList errors;
    QVERIFY2(rd::config::configFromJson(json, &back, &errors), qPrintable(errors.join(QLatin1Char('\n'))));
    QCOMPARE(back.connectionRules, cfg.connectionRules);

    // An offset other than Z is converted to UTC.
    QJsonObject root = QJsonDocument::fromJson(json).object();
    QJsonObject r0 = arr.at(1).toObject();
    r0.insert(QStringLiteral("expires"), QStringLiteral("2027-01-31T20:30:00+02:00"));
    root.insert(QStringLiteral("connection_rules"), QJsonArray{r0});
    QVERIFY(rd::config::configFromJson(QJsonDocument(root).toJson(), &back, &errors));
    QCOMPARE(back.connectionRules.first().expires, QDateTime(QDate(2027, 1, 31), QTime(18, 30), Qt::UTC));
}

void TestConnectionControl::jsonErrors()
{
    const QByteArray json = R"({"format": "relaydesk-config", "version": 1, "connection_rules": [
        {"network": "10.0.0.0/8", "action": "block"},
        {"network": "10.0.0.0/8", "expires": "2027-01-31 18:30"},
        {"network": "10.0.0.0/8", "priority": 1.5},
        {"action": "deny"},
        {"network": "10.0.0.0/8", "colour": "red"},
        "10.0.0.0/8"
    ]})";
    rd::config::ConfigSnapshot out;
    QStringList errors;
    QVERIFY(!rd::config::configFromJson(json, &out, &errors));
    const QString all = errors.join(QLatin1Char('\n'));
    QVERIFY2(all.contains(QStringLiteral("connection_rules[0]: \"action\" must be \"allow\" or \"deny\", not \"block\"")), qPrintable(all));
    QVERIFY2(all.contains(QStringLiteral("connection_rules[1]: \"expires\" must be an ISO 8601 date and time with an offset")), qPrintable(all));
    QVERIFY2(all.contains(QStringLiteral("connection_rules[2]: \"priority\" must be a whole number")), qPrintable(all));
    QVERIFY2(all.contains(QStringLiteral("connection_rules[3]: \"network\" (an address or CIDR range) is required")), qPrintable(all));
    QVERIFY2(all.contains(QStringLiteral("connection_rules[4]: unknown key \"colour\"")), qPrintable(all));
    QVERIFY2(all.contains(QStringLiteral("connection_rules[5] must be an object")), qPrintable(all));
}

void TestConnectionControl::configStoreRoundTrip()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    rd::config::ConfigSnapshot cfg;
    cfg.connectionRules = {
        deny(QStringLiteral("0.0.0.0/0"), 0, QStringLiteral("default deny")),
        rule(QStringLiteral("2001:db8:1::/48"), ConnectionAction::Allow, 500, QStringLiteral("branch"),
             QDateTime(QDate(2027, 1, 31), QTime(18, 30, 15, 250), Qt::UTC)),
        rule(QStringLiteral("198.51.100.7"), ConnectionAction::Deny, 7, QStringLiteral("x"), {}, false),
    };
    {
        rd::config::ConfigStore store(dir.path());
        QVERIFY(store.isOpen());
        QVERIFY2(store.save(cfg), qPrintable(store.errorString()));
    }
    rd::config::ConfigStore reopened(dir.path());
    QStringList warnings;
    const rd::config::ConfigSnapshot back = reopened.load(&warnings);
    QVERIFY2(warnings.isEmpty(), qPrintable(warnings.join(QLatin1Char('\n'))));
    QCOMPARE(back.connectionRules, cfg.connectionRules);
    // Saving an empty list empties the table.
    cfg.connectionRules.clear();
    QVERIFY(reopened.save(cfg));
    QVERIFY(reopened.load().connectionRules.isEmpty());
}

void TestConnectionControl::decisions_data()
{
    QTest::addColumn<QList<ConnectionRule>>("rules");
    QTest::addColumn<QString>("client");
    QTest::addColumn<QString>("expected");
    const QList<ConnectionRule> lan = {deny(QStringLiteral("0.0.0.0/0"), 10), allow(QStringLiteral("192.0.2.0/24"), 10)};
    QTest::newRow("specific allow beats /0 deny") << lan << "192.0.2.200" << "allow:1";
    QTest::newRow("outside falls to /0") << lan << "198.51.100.1" << "deny:0";
    QTest::newRow("v4 /0 does not cover v6") << lan << "2001:db8::1" << "none";
    QTest::newRow("mapped client is v4") << lan << "::ffff:192.0.2.9" << "allow:1";
    const QList<ConnectionRule> prio = {allow(QStringLiteral("10.1.2.3"), 100), deny(QStringLiteral("10.0.0.0/8"), 200)};
    QTest::newRow("priority beats specificity") << prio << "10.1.2.3" << "deny:1";
    const QList<ConnectionRule> tie = {allow(QStringLiteral("10.0.0.0/8")), deny(QStringLiteral("10.0.0.0/8"))};
    QTest::newRow("equal: deny wins") << tie << "10.9.9.9" << "deny:1";
    const QList<ConnectionRule> tie2 = {deny(QStringLiteral("10.0.0.0/8")), allow(QStringLiteral("10.0.0.0/8"))};
    QTest::newRow("equal: deny wins in either order") << tie2 << "10.9.9.9" << "deny:0";
    const QList<ConnectionRule> host = {deny(QStringLiteral("192.0.2.7/32"))};
    QTest::newRow("/32 matches itself") << host << "192.0.2.7" << "deny:0";
    QTest::newRow("/32 not its neighbour") << host << "192.0.2.8" << "none";
    const QList<ConnectionRule> v6host = {deny(QStringLiteral("2001:db8::1/128"))};
    QTest::newRow("/128 matches itself") << v6host << "2001:db8:0:0::1" << "deny:0";
    QTest::newRow("/128 not its neighbour") << v6host << "2001:db8::2" << "none";
    const QList<ConnectionRule> v6all = {allow(QStringLiteral("::/0"))};
    QTest::newRow("::/0 covers v6") << v6all << "2001:db8:ffff::1" << "allow:0";
    QTest::newRow("::/0 does not cover v4") << v6all << "192.0.2.1" << "none";
    QTest::newRow("::/0 does not cover mapped v4") << v6all << "::ffff:192.0.2.1" << "none";
    const QList<ConnectionRule> halves = {deny(QStringLiteral("2001:db8:0:1:8000::/65")), allow(QStringLiteral("2001:db8:0:1::/64"))};
    QTest::newRow("/65 upper half") << halves << "2001:db8:0:1:8000::5" << "deny:0";
    QTest::newRow("/65 lower half") << halves << "2001:db8:0:1:7fff::5" << "allow:1";
    const QList<ConnectionRule> v4halves = {deny(QStringLiteral("128.0.0.0/1")), allow(QStringLiteral("192.0.2.128/25"))};
    QTest::newRow("/1") << v4halves << "200.1.1.1" << "deny:0";
    QTest::newRow("/1 other half") << v4halves << "127.0.0.1" << "none";
    QTest::newRow("/25 boundary in") << v4halves << "192.0.2.128" << "allow:1";
    QTest::newRow("/25 boundary out") << v4halves << "192.0.2.127" << "deny:0";
    const QList<ConnectionRule> mappedRule = {deny(QStringLiteral("::ffff:192.0.2.0/120"))};
    QTest::newRow("mapped rule covers v4 client") << mappedRule << "192.0.2.44" << "deny:0";
    const QList<ConnectionRule> linkLocal = {deny(QStringLiteral("fe80::/10"))};
    QTest::newRow("scoped client") << linkLocal << "fe80::1%1" << "deny:0";
    QList<ConnectionRule> disabled = {deny(QStringLiteral("10.0.0.0/8"), 900)};
    disabled.first().enabled = false;
    disabled << allow(QStringLiteral("10.0.0.0/8"), 1);
    QTest::newRow("disabled ignored") << disabled << "10.0.0.1" << "allow:1";
    QTest::newRow("not an address") << lan << "" << "none";
}

void TestConnectionControl::decisions()
{
    QFETCH(QList<ConnectionRule>, rules);
    QFETCH(QString, client);
    QFETCH(QString, expected);
    QCOMPARE(decide(rules, client.toLatin1().constData()), expected);
}

void TestConnectionControl::expiryEndsAnAllowance()
{
    const QDateTime end = QDateTime::fromMSecsSinceEpoch(kNow, Qt::UTC).addSecs(3600);
    const QList<ConnectionRule> rules = {deny(QStringLiteral("0.0.0.0/0"), 0, QStringLiteral("default")),
                                         rule(QStringLiteral("203.0.113.0/24"), ConnectionAction::Allow, 0,
                                              QStringLiteral("vendor for an hour"), end)};
    ConnectionControl cc(rules);
    const QHostAddress vendor(QStringLiteral("203.0.113.9"));
    QCOMPARE(verdictText(cc.decide(vendor, kNow)), QStringLiteral("allow:1"));
    QCOMPARE(verdictText(cc.decide(vendor, end.toMSecsSinceEpoch() - 1)), QStringLiteral("allow:1"));
    QCOMPARE(verdictText(cc.decide(vendor, end.toMSecsSinceEpoch())), QStringLiteral("deny:0"));
    QCOMPARE(cc.decide(vendor, end.toMSecsSinceEpoch() + 1).label, QStringLiteral("default"));
    // An allow rule whose expiry is in the past does not allow.
    const QList<ConnectionRule> past = {rule(QStringLiteral("127.0.0.0/8"), ConnectionAction::Allow, 0, QString(),
                                             QDateTime::fromMSecsSinceEpoch(kNow - 1000, Qt::UTC))};
    QCOMPARE(decide(past, "127.0.0.1"), QStringLiteral("none"));
}

void TestConnectionControl::admissionTexts()
{
    using rd::policy::Admission;
    ConnectionControl cc({deny(QStringLiteral("198.51.100.0/24"), 100, QStringLiteral("block-scanners")),
                          allow(QStringLiteral("192.0.2.10"), 100, QStringLiteral("monitoring")),
                          deny(QStringLiteral("203.0.113.0/24"), 100, QStringLiteral("caf\u00e9\r\n250 ok"))});
    rd::policy::BanList bans;
    const qint64 t0 = QDateTime(QDate(2026, 11, 27), QTime(11, 30), Qt::UTC).toMSecsSinceEpoch();
    bans.ban(QHostAddress(QStringLiteral("192.0.2.10")), QStringLiteral("by an administrator"), 3600, t0);
    bans.ban(QHostAddress(QStringLiteral("192.0.2.11")), QStringLiteral("after 10 failed AUTH attempts"), 3600, t0, 10);

    Admission a = rd::policy::admitConnection(cc, &bans, QHostAddress(QStringLiteral("198.51.100.77")), t0);
    QCOMPARE(a.verdict, Admission::RefusedByRule);
    QCOMPARE(a.text, QStringLiteral("Connection refused by rule 'block-scanners'"));
    a = rd::policy::admitConnection(cc, &bans, QHostAddress(QStringLiteral("192.0.2.11")), t0 + 1000);
    QCOMPARE(a.verdict, Admission::RefusedByBan);
    QCOMPARE(a.text, QStringLiteral("Address banned until 12:30 UTC after 10 failed AUTH attempts"));
    QCOMPARE(a.ban->failures, 10);
    // An allow rule admits even a banned address.
    a = rd::policy::admitConnection(cc, &bans, QHostAddress(QStringLiteral("192.0.2.10")), t0);
    QVERIFY(a.admitted());
    QVERIFY(a.allowRule);
    QCOMPARE(a.ruleLabel, QStringLiteral("monitoring"));
    // After the ban: admitted.
    QVERIFY(rd::policy::admitConnection(cc, &bans, QHostAddress(QStringLiteral("192.0.2.11")), t0 + 3600 * 1000).admitted());
    QVERIFY(rd::policy::admitConnection(cc, nullptr, QHostAddress(QStringLiteral("192.0.2.11")), t0).admitted());
    // Reply text stays one printable ASCII line whatever the comment holds.
    a = rd::policy::admitConnection(cc, &bans, QHostAddress(QStringLiteral("203.0.113.1")), t0);
    QCOMPARE(a.text, QStringLiteral("Connection refused by rule 'caf???250 ok'"));
    // A ban ending on another day names the date.
    const rd::policy::Ban b = bans.ban(QHostAddress(QStringLiteral("192.0.2.12")), QStringLiteral("after 3 protocol errors"), 86400, t0);
    QCOMPARE(rd::policy::BanList::refusalText(b, t0), QStringLiteral("Address banned until 2026-11-28 11:30 UTC after 3 protocol errors"));
}

void TestConnectionControl::matchesPythonIpaddress()
{
    if (!QFile::exists(QStringLiteral("/usr/bin/python3")))
        QSKIP("/usr/bin/python3 is needed for the ipaddress oracle");
    QRandomGenerator rng(20261127);
    for (int round = 0; round < 3; ++round) {
        const QList<ConnectionRule> rules = randomRules(rng, 300 + round * 700, true);
        const QList<QHostAddress> clients = randomClients(rng, 3000);
        ConnectionControl cc;
        QVERIFY(cc.setRules(rules).isEmpty());
        QJsonArray jr, jc;
        for (const ConnectionRule &r : rules)
            jr.append(QJsonObject{{QStringLiteral("net"), r.network},
                                  {QStringLiteral("deny"), r.action == ConnectionAction::Deny},
                                  {QStringLiteral("prio"), r.priority},
                                  {QStringLiteral("exp"), r.expires.isValid() ? double(r.expires.toMSecsSinceEpoch()) : 0.0},
                                  {QStringLiteral("on"), r.enabled}});
        QStringList mine;
        for (const QHostAddress &c : clients) {
            jc.append(c.toString());
            mine << verdictText(cc.decide(c, kNow));
        }
        const QByteArray input = QJsonDocument(QJsonObject{{QStringLiteral("rules"), jr},
                                                           {QStringLiteral("clients"), jc},
                                                           {QStringLiteral("now"), double(kNow)}})
                                     .toJson(QJsonDocument::Compact);
        // Independent: Python's ipaddress does the parsing and the containment test.
        const QString script = QStringLiteral(R"PY(
import ipaddress, json, sys
d = json.load(sys.stdin)
rules = []
for i, r in enumerate(d['rules']):
    if not r['on'] or (r['exp'] and r['exp'] <= d['now']):
        continue
    rules.append((ipaddress.ip_network(r['net'], strict=True), r['deny'], r['prio'], i))
out = []
for c in d['clients']:
    a = ipaddress.ip_address(c)
    if a.version == 6 and a.ipv4_mapped is not None:
        a = a.ipv4_mapped
    best = None
    for net, deny, prio, i in rules:
        if net.version != a.version or a not in net:
            continue
        key = (prio, net.prefixlen, 1 if deny else 0, -i)
        if best is None or key > best[0]:
            best = (key, deny, i)
    out.append('none' if best is None else ('deny:%d' if best[1] else 'allow:%d') % best[2])
print('\n'.join(out))
)PY");
        QProcess py;
        py.start(QStringLiteral("/usr/bin/python3"), {QStringLiteral("-c"), script});
        QVERIFY(py.waitForStarted());
        py.write(input);
        py.closeWriteChannel();
        QVERIFY(py.waitForFinished(60000));
        QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
        const QStringList theirs = QString::fromUtf8(py.readAllStandardOutput()).trimmed().split(QLatin1Char('\n'));
        QCOMPARE(theirs.size(), mine.size());
        int matched = 0;
        for (int i = 0; i < mine.size(); ++i) {
            if (mine.at(i) != theirs.at(i))
                QFAIL(qPrintable(QStringLiteral("client %1: ours %2, ipaddress %3").arg(clients.at(i).toString(), mine.at(i), theirs.at(i))));
            matched += mine.at(i) != QLatin1String("none") ? 1 : 0;
        }
        qInfo("round %d: %d rules, %d clients agree with ipaddress (%d matched a rule)", round,
              int(rules.size()), int(clients.size()), matched);
        QVERIFY(matched > clients.size() / 4); // the data really exercises the rules
        QVERIFY(matched < clients.size());     // and "no match" too
    }
}

void TestConnectionControl::tenThousandRules()
{
    QRandomGenerator rng(42);
    const QList<ConnectionRule> rules = randomRules(rng, 10000, true);
    const QList<QHostAddress> clients = randomClients(rng, 20000);
    ConnectionControl cc;
    QElapsedTimer build;
    build.start();
    cc.setRules(rules);
    const qint64 buildNs = build.nsecsElapsed();
    QStringList mine;
    mine.reserve(clients.size());
    QElapsedTimer t;
    t.start();
    for (const QHostAddress &c : clients)
        mine << verdictText(cc.decide(c, kNow));
    const qint64 ns = t.nsecsElapsed();
    // Brute force on a sample (it is slow by design).
    for (int i = 0; i < 1000; ++i)
        QCOMPARE(mine.at(i), bruteForce(rules, clients.at(i), kNow));
    // Time of decide() alone, without formatting.
    int denied = 0;
    QElapsedTimer t2;
    t2.start();
    for (const QHostAddress &c : clients)
        denied += cc.decide(c, kNow).denied() ? 1 : 0;
    const qint64 ns2 = t2.nsecsElapsed();
    qInfo("10000 rules (%d enabled, %d prefix levels): index built in %.2f ms; decide() %.2f us per client "
          "(%.2f us with formatting) over %d clients, %d denied",
          cc.ruleCount(), cc.prefixLevels(), buildNs / 1e6, double(ns2) / clients.size() / 1000.0,
          double(ns) / clients.size() / 1000.0, int(clients.size()), denied);
}

QTEST_GUILESS_MAIN(TestConnectionControl)
#include "tst_connectioncontrol.moc"
