// Abuse-control configuration (config/policyconfig.h): validation sentences,
// DNSBL answer codes, JSON and config.db round trips, and the move of the old
// dnsbl.zones setting into dnsbl_zones rows.
#include "config/configjson.h"
#include "config/configstore.h"
#include "config/policyconfig.h"
#include "storage/database.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace rd::config;

namespace {

RateLimitRule limit(LimitScope scope, const QString &subject, LimitMetric metric, int window, int maximum)
{
    RateLimitRule r;
    r.scope = scope;
    r.subject = subject;
    r.metric = metric;
    r.windowSeconds = window;
    r.maximum = maximum;
    return r;
}

ContentRule rule(const QString &name, RuleTarget t, RuleMatch m, const QString &pattern,
                 RuleAction a = RuleAction::Reject)
{
    ContentRule r;
    r.name = name;
    r.target = t;
    r.match = m;
    r.pattern = pattern;
    r.action = a;
    return r;
}

bool anyContains(const QStringList &errors, const QString &needle)
{
    for (const QString &e : errors) {
        if (e.contains(needle))
            return true;
    }
    return false;
}

} // namespace

class TestPolicyConfig : public QObject {
    Q_OBJECT
private slots:
    void rateLimitValidation()
    {
        QList<RateLimitRule> good = {
            limit(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 60, 100),
            limit(LimitScope::ClientIp, QStringLiteral("10.0.0.0/8"), LimitMetric::Messages, 60, 0),
            limit(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Concurrent, 0, 5),
            limit(LimitScope::Sender, QStringLiteral("@example.org"), LimitMetric::Recipients, 86400, 1000),
            limit(LimitScope::Connector, QStringLiteral("m365"), LimitMetric::Messages, 60, 30),
            limit(LimitScope::Domain, QStringLiteral("example.net"), LimitMetric::Concurrent, 0, 2),
        };
        QCOMPARE(validateRateLimits(good), QStringList());

        QList<RateLimitRule> bad = {
            limit(LimitScope::ClientIp, QStringLiteral("10.0.0.1/33"), LimitMetric::Messages, 60, 10),
            limit(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 120, 10),
            limit(LimitScope::Connector, QStringLiteral("*"), LimitMetric::Recipients, 60, 10),
            limit(LimitScope::User, QStringLiteral("*"), LimitMetric::Connections, 60, 10),
            limit(LimitScope::Sender, QStringLiteral("not-an-address"), LimitMetric::Messages, 60, 10),
            limit(LimitScope::User, QStringLiteral("*"), LimitMetric::Messages, 60, -1),
            limit(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 60, 20),
            limit(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 60, 30),
        };
        const QStringList errors = validateRateLimits(bad);
        QVERIFY(anyContains(errors, QStringLiteral("rate limit 1: subject \"10.0.0.1/33\"")));
        QVERIFY(anyContains(errors, QStringLiteral("rate limit 2: the window must be")));
        QVERIFY(anyContains(errors, QStringLiteral("rate limit 3: recipients are limited")));
        QVERIFY(anyContains(errors, QStringLiteral("rate limit 4: new connections")));
        QVERIFY(anyContains(errors, QStringLiteral("rate limit 5: sender \"not-an-address\"")));
        QVERIFY(anyContains(errors, QStringLiteral("rate limit 6: the maximum")));
        QVERIFY(anyContains(errors, QStringLiteral("rate limit 8: the same limit")));
        QVERIFY(!anyContains(errors, QStringLiteral("rate limit 7:")));
    }

    void describesLimits()
    {
        QCOMPARE(describeRateLimit(limit(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 60, 100)),
                 QStringLiteral("100 messages per minute per client IP"));
        QCOMPARE(describeRateLimit(limit(LimitScope::User, QStringLiteral("scanner"), LimitMetric::Recipients, 86400, 500)),
                 QStringLiteral("500 recipients per day for user scanner"));
        QCOMPARE(describeRateLimit(limit(LimitScope::Connector, QStringLiteral("*"), LimitMetric::Concurrent, 0, 3)),
                 QStringLiteral("3 concurrent connections per send connector"));
    }

    void dnsblCodes()
    {
        QList<DnsblCode> codes;
        QString error;
        QVERIFY(parseDnsblCodes(QStringLiteral("127.0.0.2=SBL spam source; 127.0.0.4-127.0.0.7=XBL exploited\n"
                                               "127.0.0.10"),
                                &codes, &error));
        QCOMPARE(codes.size(), 3);
        QCOMPARE(codes[0].first, 0x7f000002u);
        QCOMPARE(codes[0].meaning, QStringLiteral("SBL spam source"));
        QCOMPARE(codes[1].first, 0x7f000004u);
        QCOMPARE(codes[1].last, 0x7f000007u);
        QCOMPARE(codes[2].meaning, QStringLiteral("listed"));
        QVERIFY(parseDnsblCodes(QString(), &codes, &error));
        QVERIFY(codes.isEmpty());
        QVERIFY(!parseDnsblCodes(QStringLiteral("127.0.0.7-127.0.0.4=x"), &codes, &error));
        QVERIFY(error.contains(QStringLiteral("ends before it starts")));
        QVERIFY(!parseDnsblCodes(QStringLiteral("10.0.0.2=x"), &codes, &error));
        QVERIFY(error.contains(QStringLiteral("127.0.0.0/8")));
        QVERIFY(!parseDnsblCodes(QStringLiteral("banana=x"), &codes, &error));

        const QStringList errors = validateDnsblZones({DnsblZone{QStringLiteral("zen.spamhaus.org"), QString(), true},
                                                       DnsblZone{QStringLiteral("ZEN.spamhaus.org"), QString(), true},
                                                       DnsblZone{QStringLiteral("bad zone"), QString(), true},
                                                       DnsblZone{QStringLiteral("bl.test"), QStringLiteral("x=y"), true}});
        QVERIFY(anyContains(errors, QStringLiteral("DNS block list 2 (zen.spamhaus.org): listed twice")));
        QVERIFY(anyContains(errors, QStringLiteral("DNS block list 3")));
        QVERIFY(anyContains(errors, QStringLiteral("DNS block list 4 (bl.test): codes:")));
    }

    void contentRuleValidation()
    {
        ContentRule header = rule(QStringLiteral("subject"), RuleTarget::Header, RuleMatch::Regex, QStringLiteral("(unclosed"));
        header.field = QStringLiteral("Subject");
        ContentRule badField = rule(QStringLiteral("field"), RuleTarget::Header, RuleMatch::Contains, QStringLiteral("x"));
        badField.field = QStringLiteral("Bad Field:");
        ContentRule addHeader = rule(QStringLiteral("tag"), RuleTarget::Body, RuleMatch::Contains,
                                     QStringLiteral("invoice"), RuleAction::AddHeader);
        addHeader.actionArg = QStringLiteral("no colon here");
        const QStringList errors = validateContentRules({
            rule(QStringLiteral("ok"), RuleTarget::Attachment, RuleMatch::Extension, QStringLiteral("exe, .js ,vbs")),
            header,
            badField,
            addHeader,
            rule(QStringLiteral("OK"), RuleTarget::Sender, RuleMatch::Domain, QStringLiteral("example.org")),
            rule(QStringLiteral("mismatch"), RuleTarget::Size, RuleMatch::Contains, QStringLiteral("1")),
            rule(QStringLiteral("size"), RuleTarget::Size, RuleMatch::Greater, QStringLiteral("-5")),
            rule(QStringLiteral("addr"), RuleTarget::Recipient, RuleMatch::Address, QStringLiteral("a@b.test, nope")),
        });
        QVERIFY(!anyContains(errors, QStringLiteral("content rule 1 ")));
        QVERIFY(anyContains(errors, QStringLiteral("content rule 2 (subject): regular expression error at offset")));
        QVERIFY(anyContains(errors, QStringLiteral("content rule 3 (field): \"Bad Field:\" is not a header field name")));
        QVERIFY(anyContains(errors, QStringLiteral("content rule 4 (tag): the header to add")));
        QVERIFY(anyContains(errors, QStringLiteral("content rule 5 (OK): another rule has the same name")));
        QVERIFY(anyContains(errors, QStringLiteral("content rule 6 (mismatch): \"size\" cannot be matched with \"contains\"")));
        QVERIFY(anyContains(errors, QStringLiteral("content rule 7 (size): the size must be")));
        QVERIFY(anyContains(errors, QStringLiteral("content rule 8 (addr): \"nope\" is not an e-mail address")));
    }

    void jsonAndDatabaseRoundTrip()
    {
        ConfigSnapshot c;
        c.rateLimits = {limit(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 60, 100),
                        limit(LimitScope::User, QStringLiteral("alice"), LimitMetric::Recipients, 3600, 0)};
        c.rateLimits[1].comment = QStringLiteral("exempt");
        c.rateLimits[1].enabled = false;
        c.dnsblZones = {DnsblZone{QStringLiteral("bl.test"), QStringLiteral("127.0.0.2=spam"), true},
                        DnsblZone{QStringLiteral("other.test"), QString(), false}};
        ContentRule h = rule(QStringLiteral("tag"), RuleTarget::Header, RuleMatch::Contains, QStringLiteral("[ext]"),
                             RuleAction::AddHeader);
        h.field = QStringLiteral("Subject");
        h.actionArg = QStringLiteral("X-Tagged: yes");
        c.contentRules = {h, rule(QStringLiteral("exe"), RuleTarget::Attachment, RuleMatch::Extension,
                                  QStringLiteral("exe"), RuleAction::Hold)};
        QCOMPARE(c.validate(), QStringList());

        const QByteArray json = configToJson(c, false);
        ConfigSnapshot back;
        QStringList errors;
        QVERIFY2(configFromJson(json, &back, &errors), qPrintable(errors.join(u'\n')));
        QCOMPARE(back.rateLimits, c.rateLimits);
        QCOMPARE(back.dnsblZones, c.dnsblZones);
        QCOMPARE(back.contentRules, c.contentRules);

        QTemporaryDir dir;
        {
            ConfigStore store(dir.path());
            QVERIFY(store.isOpen());
            QVERIFY2(store.save(c), qPrintable(store.errorString()));
        }
        ConfigStore store(dir.path());
        QStringList warnings;
        const ConfigSnapshot loaded = store.load(&warnings);
        QCOMPARE(warnings, QStringList());
        QCOMPARE(loaded.rateLimits, c.rateLimits);
        QCOMPARE(loaded.dnsblZones, c.dnsblZones);
        QCOMPARE(loaded.contentRules, c.contentRules);
    }

    void badJsonNamesTheEntry()
    {
        QJsonObject root{{QStringLiteral("format"), QStringLiteral("relaydesk-config")}, {QStringLiteral("version"), 1}};
        root.insert(QStringLiteral("rate_limits"),
                    QJsonArray{QJsonObject{{QStringLiteral("scope"), QStringLiteral("planet")},
                                           {QStringLiteral("metric"), QStringLiteral("messages")},
                                           {QStringLiteral("window_s"), 60},
                                           {QStringLiteral("maximum"), 5}}});
        const QByteArray json = QJsonDocument(root).toJson();
        ConfigSnapshot out;
        QStringList errors;
        QVERIFY(!configFromJson(json, &out, &errors));
        QVERIFY(anyContains(errors, QStringLiteral("rate_limits[0]: unknown scope \"planet\"")));
    }

    void legacyZoneSettingBecomesRows()
    {
        QTemporaryDir dir;
        {
            ConfigStore store(dir.path());
            QVERIFY(store.isOpen());
        }
        {
            QString error;
            const QString conn = rd::storage::uniqueConnectionName(QStringLiteral("legacy"));
            {
                QSqlDatabase db = rd::storage::openDatabase(dir.path(), rd::storage::DbKind::Config, conn, {}, &error);
                QVERIFY2(db.isOpen(), qPrintable(error));
                QSqlQuery q(db);
                QVERIFY(q.exec(QStringLiteral("INSERT INTO settings (key, value) VALUES ('dnsbl.zones',"
                                              " 'zen.spamhaus.org, bl.spamcop.net')")));
            }
            rd::storage::closeDatabase(conn);
        }
        ConfigStore store(dir.path());
        QStringList warnings;
        const ConfigSnapshot c = store.load(&warnings);
        QCOMPARE(warnings, QStringList());
        QCOMPARE(c.dnsblZones.size(), 2);
        QCOMPARE(c.dnsblZones[0].zone, QStringLiteral("zen.spamhaus.org"));
        QCOMPARE(c.dnsblZones[1].zone, QStringLiteral("bl.spamcop.net"));
        QVERIFY(store.save(c)); // the old setting row goes with the next save
        QCOMPARE(ConfigStore(dir.path()).load().dnsblZones, c.dnsblZones);

        // An old export with the setting imports the same way.
        QJsonObject old{{QStringLiteral("format"), QStringLiteral("relaydesk-config")}, {QStringLiteral("version"), 1}};
        old.insert(QStringLiteral("settings"), QJsonObject{{QStringLiteral("dnsbl.zones"), QStringLiteral("zen.spamhaus.org")}});
        const QByteArray json = QJsonDocument(old).toJson();
        ConfigSnapshot imported;
        QStringList errors;
        QVERIFY2(configFromJson(json, &imported, &errors), qPrintable(errors.join(u'\n')));
        QCOMPARE(imported.dnsblZones.size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestPolicyConfig)
#include "tst_policyconfig.moc"
