// SPF (RFC 7208): the pure record parser and macro expander, and the
// evaluator against the openspf.org conformance suites (tests/data/spf/*.json,
// converted from ../shared/testdata/spf by tests/data/spf/convert.py) served
// by an in-memory DNS double. The evaluator over real DNS (NSD) and pyspf as
// an independent oracle: tst_spfdns.cpp.

#include "mailauth/spf.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <memory>
#include <optional>

using namespace rd::mailauth;
using rd::dns::Answer;
using rd::dns::RecordType;
using rd::dns::Status;

namespace {

// ------------------------------------------------------------------ DNS double

// Serves one scenario's zonedata the way pyspf's testspf.py driver does:
// SPF-type records become TXT records when a name has no TXT record of its
// own; a TXT value "NONE" marks "has TXT, but none served"; a TIMEOUT entry
// times out every type without records listed before it; names not in the
// zone are NXDOMAIN. CNAMEs are followed as a recursive resolver would (the
// answer carries the target's records and canonicalName); a loop is SERVFAIL.
class ZoneResolver : public rd::dns::Resolver {
public:
    struct Rec {
        QString type;
        QJsonValue value;
    };

    explicit ZoneResolver(const QJsonObject &zonedata)
    {
        for (auto it = zonedata.begin(); it != zonedata.end(); ++it) {
            QList<Rec> recs;
            QList<Rec> generated;
            bool hasTxt = false;
            for (const QJsonValue &v : it.value().toArray()) {
                const QJsonObject o = v.toObject();
                const Rec r{o.value(QLatin1String("type")).toString(), o.value(QLatin1String("value"))};
                const bool none = r.value.isArray() && r.value.toArray().size() == 1
                    && r.value.toArray().first().toString() == QLatin1String("NONE");
                if (r.type == QLatin1String("TXT"))
                    hasTxt = true;
                else if (r.type == QLatin1String("SPF"))
                    generated.append({QStringLiteral("TXT"), r.value});
                if (!none)
                    recs.append(r);
            }
            if (!hasTxt)
                recs += generated;
            m_zone.insert(it.key().toLower(), recs);
        }
    }

    int queries = 0;

protected:
    void startLookup(rd::dns::RequestId id, const QString &name, RecordType type) override
    {
        ++queries;
        Answer a = resolve(name, type, 0);
        a.name = name;
        finishLater(id, a);
    }
    void cancelLookup(rd::dns::RequestId) override {}

private:
    Answer resolve(const QString &name, RecordType type, int depth) const
    {
        Answer a;
        a.type = type;
        a.canonicalName = name;
        const QString key = name.toLower();
        const auto it = m_zone.constFind(key);
        if (it == m_zone.constEnd()) {
            a.status = key.startsWith(QLatin1String("error.")) ? Status::Timeout : Status::NxDomain;
            return a;
        }
        const QString want = rd::dns::recordTypeName(type);
        bool seen = false;
        for (const Rec &r : *it) {
            if (r.type == QLatin1String("TIMEOUT")) {
                if (!seen) {
                    a.status = Status::Timeout;
                    a.error = QStringLiteral("DNS timeout (zone data)");
                    return a;
                }
                break;
            }
            if (r.type == QLatin1String("CNAME") && type != RecordType::CNAME) {
                if (depth >= 10) {
                    a.status = Status::ServerFailure;
                    a.error = QStringLiteral("CNAME chain too long or looping");
                    return a;
                }
                QString target = r.value.toString();
                if (target.endsWith(QLatin1Char('.')))
                    target.chop(1);
                Answer t = resolve(target, type, depth + 1);
                return t;
            }
            if (r.type != want)
                continue;
            seen = true;
            if (r.value.toString() == QLatin1String("TIMEOUT")) {
                a.status = Status::Timeout;
                return a;
            }
            add(&a, r);
        }
        a.status = (a.addresses.isEmpty() && a.mx.isEmpty() && a.txt.isEmpty() && a.names.isEmpty())
            ? Status::NoData
            : Status::Ok;
        std::stable_sort(a.mx.begin(), a.mx.end(), [](const auto &x, const auto &y) {
            return x.preference < y.preference;
        });
        return a;
    }

    static QString stripDot(QString s)
    {
        if (s.isEmpty())
            return QStringLiteral(".");
        if (s.endsWith(QLatin1Char('.')) && s.size() > 1)
            s.chop(1);
        return s;
    }

    static void add(Answer *a, const Rec &r)
    {
        if (r.type == QLatin1String("A") || r.type == QLatin1String("AAAA")) {
            a->addresses.append({QHostAddress(r.value.toString()), 300});
        } else if (r.type == QLatin1String("MX")) {
            const QJsonArray mx = r.value.toArray();
            a->mx.append({quint16(mx.at(0).toInt()), stripDot(mx.at(1).toString()), 300});
        } else if (r.type == QLatin1String("PTR") || r.type == QLatin1String("CNAME")) {
            a->names.append({stripDot(r.value.toString()), 300});
        } else if (r.type == QLatin1String("TXT")) {
            rd::dns::TxtRecord t;
            for (const QJsonValue &s : r.value.toArray())
                t.strings.append(s.toString().toUtf8()); // as the driver: UTF-8
            t.ttl = 300;
            a->txt.append(t);
        }
    }

    QHash<QString, QList<Rec>> m_zone;
};

// Runs one check to completion (or a default outcome with problem "no callback").
SpfOutcome runCheck(SpfEvaluator &e, const SpfRequest &req, int timeoutMs = 10000,
                    int *callbacks = nullptr)
{
    std::optional<SpfOutcome> got;
    int calls = 0;
    e.check(req, nullptr, [&](const SpfOutcome &o) {
        ++calls;
        got = o;
    });
    if (calls != 0) { // a callback from inside check() breaks the contract
        SpfOutcome bad;
        bad.problem = QStringLiteral("callback from inside check()");
        return bad;
    }
    (void)QTest::qWaitFor([&] { return got.has_value(); }, timeoutMs);
    QTest::qWait(0);
    if (callbacks)
        *callbacks = calls;
    if (!got) {
        SpfOutcome none;
        none.problem = QStringLiteral("no callback");
        return none;
    }
    return *got;
}

QJsonArray loadSuite(const QString &file)
{
    static QHash<QString, QJsonArray> cache;
    if (!cache.contains(file)) {
        QFile f(QFINDTESTDATA(QStringLiteral("../data/spf/") + file));
        if (!f.open(QIODevice::ReadOnly))
            return {};
        cache.insert(file, QJsonDocument::fromJson(f.readAll()).array());
    }
    return cache.value(file);
}

} // namespace

class TstSpf : public QObject {
    Q_OBJECT

private slots:
    // ------------------------------------------------------------ pure parts
    void macroExamplesFromRfc7208();
    void macroSyntaxErrors();
    void recordParsing_data();
    void recordParsing();
    void ipParsing();
    void recordCheckWarnings();

    // ------------------------------------------------------------ conformance
    void rfc7208Conformance_data() { suiteData(QStringLiteral("rfc7208-tests.json")); }
    void rfc7208Conformance() { runSuiteCase(false); }
    void rfc4408Conformance_data() { suiteData(QStringLiteral("rfc4408-tests.json")); }
    void rfc4408Conformance() { runSuiteCase(true); }

    // ------------------------------------------------------------ evaluator contract
    void callbackContract();
    void outcomeDetails();

private:
    void suiteData(const QString &file);
    // rfc4408: the older suite; its accepted results already include the RFC 7208
    // answers where 7208 changed them (mx-limit, the record-selection cases).
    void runSuiteCase(bool rfc4408);
};

// ================================================================ pure parts

void TstSpf::macroExamplesFromRfc7208()
{
    // RFC 7208 section 7.4: <sender> strong-bad@email.example.com, client
    // 192.0.2.3, PTR name mx.example.org.
    SpfMacroContext c;
    c.sender = QStringLiteral("strong-bad@email.example.com");
    c.localPart = QStringLiteral("strong-bad");
    c.senderDomain = QStringLiteral("email.example.com");
    c.domain = QStringLiteral("email.example.com");
    c.ip = QStringLiteral("192.0.2.3");
    c.clientIp = c.ip;
    c.validatedName = QStringLiteral("mx.example.org");
    const QList<std::pair<const char *, const char *>> cases = {
        {"%{s}", "strong-bad@email.example.com"},
        {"%{o}", "email.example.com"},
        {"%{d}", "email.example.com"},
        {"%{d4}", "email.example.com"},
        {"%{d3}", "email.example.com"},
        {"%{d2}", "example.com"},
        {"%{d1}", "com"},
        {"%{dr}", "com.example.email"},
        {"%{d2r}", "example.email"},
        {"%{l}", "strong-bad"},
        {"%{l-}", "strong.bad"},
        {"%{lr}", "strong-bad"},
        {"%{lr-}", "bad.strong"},
        {"%{l1r-}", "strong"},
        {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
        {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
        {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
        {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"},
        {"%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
        {"%{p2}.trusted-domains.example.net", "example.org.trusted-domains.example.net"},
    };
    for (const auto &[in, want] : cases) {
        QString error;
        const auto m = parseSpfMacroString(QString::fromLatin1(in), SpfMacroMode::DomainSpec, &error);
        QVERIFY2(m, qPrintable(QStringLiteral("%1: %2").arg(QString::fromLatin1(in), error)));
        QCOMPARE(expandSpfMacros(*m, c), QString::fromLatin1(want));
    }
    // Escapes, URL encoding of upper-case letters, exp-only letters.
    c.localPart = QStringLiteral("~jack&jill=up");
    const auto e = parseSpfMacroString(u"%{L}%%%_%-%{c}/%{r}", SpfMacroMode::Explanation);
    QVERIFY(e);
    QCOMPARE(expandSpfMacros(*e, c), QStringLiteral("~jack%26jill%3Dup% %20192.0.2.3/unknown"));
    // 253-character limit: left labels go.
    c.domain = QString(60, QLatin1Char('a')) + QStringLiteral(".example.com");
    const auto longSpec = parseSpfMacroString(u"%{d}.%{d}.%{d}.%{d}.%{d}.", SpfMacroMode::DomainSpec);
    QVERIFY(longSpec);
    const QString expanded = expandSpfDomain(*longSpec, c);
    QVERIFY2(expanded.size() <= 253 && expanded.endsWith(QLatin1String("example.com")),
             qPrintable(expanded));
    QVERIFY(expanded.size() > 200);
    QVERIFY(!expanded.startsWith(QLatin1Char('.')));
}

void TstSpf::macroSyntaxErrors()
{
    for (const char *bad : {"%", "%(ir)", "foo%x", "%{", "%{}", "%{a}", "%{d0}", "%{d2x}",
                            "%{c}", "%{r}", "%{t}", "a b", "tab\there"}) {
        QString error;
        QVERIFY2(!parseSpfMacroString(QString::fromLatin1(bad), SpfMacroMode::DomainSpec, &error),
                 bad);
        QVERIFY2(!error.isEmpty(), bad);
    }
    // c, r, t and spaces are fine in explanation text.
    QVERIFY(parseSpfMacroString(u"%{c} %{r} %{t}", SpfMacroMode::Explanation));
    QVERIFY(parseSpfMacroString(u"%{ir}.%{v}", SpfMacroMode::DomainSpec)->tokens.size() == 3);
    QVERIFY(parseSpfMacroString(u"%{p}.x.com", SpfMacroMode::DomainSpec)->usesP);
    QVERIFY(!parseSpfMacroString(u"%{P}", SpfMacroMode::DomainSpec)->tokens.first().text.size());
    QVERIFY(parseSpfMacroString(u"%{P}", SpfMacroMode::DomainSpec)->tokens.first().urlEscape);
}

void TstSpf::recordParsing_data()
{
    QTest::addColumn<QString>("record");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<int>("mechanisms");
    QTest::addColumn<int>("lookupTerms");
    const auto row = [](const char *name, const char *rec, bool ok, int mechs = 0, int terms = 0) {
        QTest::newRow(name) << QString::fromLatin1(rec) << ok << mechs << terms;
    };
    row("minimal", "v=spf1", true, 0, 0);
    row("upper version", "V=SPF1 -ALL", true, 1, 0);
    row("all kinds", "v=spf1 +a -mx ~ptr ?exists:%{i}.x.example include:a.example ip4:192.0.2.0/24 "
        "ip6:2001:db8::/32 a:b.example/24//64 mx//0 redirect=c.example exp=d.example foo=bar",
        true, 9, 8);
    row("two spaces and trailing", "v=spf1  a   -all  ", true, 2, 1);
    row("not spf", "v=spf10 -all", false);
    row("no space", "v=spf1-all", false);
    row("unknown mechanism", "v=spf1 foo -all", false);
    row("all with argument", "v=spf1 all:x", false);
    row("all with cidr", "v=spf1 all/8", false);
    row("include without domain", "v=spf1 include", false);
    row("include with cidr", "v=spf1 include:a.example.com/24", false);
    row("ptr with cidr", "v=spf1 ptr/0", false);
    row("ip4 leading zero prefix", "v=spf1 ip4:1.2.3.4/032", false);
    row("ip4 prefix 33", "v=spf1 ip4:1.2.3.4/33", false);
    row("ip4 short", "v=spf1 ip4:1.2.3", false);
    row("ip4 port", "v=spf1 ip4:1.2.3.4:8080", false);
    row("ip6 prefix 129", "v=spf1 ip6:::1/129", false);
    row("ip6 two gaps", "v=spf1 ip6::CAFE::BABE", false);
    row("a bad dual cidr", "v=spf1 a/24/64", false);
    row("a numeric toplabel", "v=spf1 a:abc.123", false);
    row("a single label", "v=spf1 a:museum", false);
    row("a dash toplabel", "v=spf1 a:foo.example.xn--zckzah", true, 1, 1);
    row("a colon domain", "v=spf1 a:foo:bar/baz.example.com", true, 1, 1);
    row("redirect twice", "v=spf1 redirect=a.example redirect=b.example", false);
    row("exp twice", "v=spf1 exp=a.example exp=b.example", false);
    row("redirect empty", "v=spf1 redirect=", false);
    row("modifier bad macro", "v=spf1 foo=%abc", false);
    row("empty modifier name", "v=spf1 =all", false);
    row("modifier name digit", "v=spf1 1up=foo", false);
    row("exp-only macro in domain", "v=spf1 exp=%{r}.example.com", false);
    row("control char", "v=spf1 a:x.example.com\rptr", false);
    row("non-ascii", "v=spf1 \xc2\x80""a -all", false);
    row("nul", QByteArray("v=spf1 a:b.example.com\0", 23).constData(), false);
}

void TstSpf::recordParsing()
{
    QFETCH(QString, record);
    QFETCH(bool, ok);
    QFETCH(int, mechanisms);
    QFETCH(int, lookupTerms);
    if (QByteArray(QTest::currentDataTag()) == "nul")
        record = QString::fromLatin1("v=spf1 a:b.example.com\0", 23);
    const SpfParseResult r = parseSpfRecord(record);
    QCOMPARE(r.ok(), ok);
    if (!ok) {
        QVERIFY2(!r.error.isEmpty(), "an error must say why");
        const SpfRecordCheck c = checkSpfRecord(record);
        QVERIFY(!c.valid);
        QCOMPARE(c.error, r.error);
        return;
    }
    QCOMPARE(r.record->mechanisms.size(), mechanisms);
    QCOMPARE(r.record->lookupTerms(), lookupTerms);
}

void TstSpf::ipParsing()
{
    std::array<quint8, 16> b{};
    QVERIFY(parseSpfIp6(u"::FFFF:1.2.3.4", &b));
    QCOMPARE(QHostAddress(b.data()), QHostAddress(QStringLiteral("::ffff:1.2.3.4")));
    QVERIFY(parseSpfIp6(u"2001:db8::cb01", &b));
    QCOMPARE(QHostAddress(b.data()), QHostAddress(QStringLiteral("2001:db8::cb01")));
    QVERIFY(parseSpfIp6(u"1:2:3:4:5:6:7:8", &b));
    QCOMPARE(QHostAddress(b.data()), QHostAddress(QStringLiteral("1:2:3:4:5:6:7:8")));
    QVERIFY(parseSpfIp6(u"::", &b));
    QCOMPARE(QHostAddress(b.data()), QHostAddress(QStringLiteral("::")));
    for (const char16_t *bad : {u"", u":", u":::", u"1::2::3", u"1:2:3:4:5:6:7", u"1:2:3:4:5:6:7:8:9",
                                u"12345::", u"g::", u"1:2:3:4:5:6:7::8", u"::1.2.3", u"1.2.3.4::"}) {
        QVERIFY2(!parseSpfIp6(QStringView(bad), &b), qPrintable(QString::fromUtf16(bad)));
    }
    QVERIFY(parseSpfIp4(u"192.0.2.255", &b));
    QCOMPARE(b[3], quint8(255));
    for (const char16_t *bad : {u"1.2.3", u"1.2.3.4.5", u"01.2.3.4", u"256.1.1.1", u"1..2.3", u"a.b.c.d"})
        QVERIFY2(!parseSpfIp4(QStringView(bad), &b), qPrintable(QString::fromUtf16(bad)));

    SpfNetwork n;
    QVERIFY(parseSpfIp4(u"192.0.2.0", &n.bytes));
    n.prefix = 23;
    const quint8 in[4] = {192, 0, 3, 77};
    const quint8 out[4] = {192, 0, 4, 1};
    QVERIFY(n.contains(false, in));
    QVERIFY(!n.contains(false, out));
    QVERIFY(!n.contains(true, in)); // families never mix
    QVERIFY(!n.hostBitsSet());
    n.bytes[3] = 5;
    QVERIFY(n.hostBitsSet());
}

void TstSpf::recordCheckWarnings()
{
    const auto has = [](const SpfRecordCheck &c, const char *part) {
        for (const QString &w : c.warnings) {
            if (w.contains(QLatin1String(part)))
                return true;
        }
        return false;
    };
    SpfRecordCheck c = checkSpfRecord(QStringLiteral("v=spf1 ip4:192.0.2.0/24 include:_spf.example.com -all"));
    QVERIFY(c.valid);
    QVERIFY2(c.warnings.isEmpty(), qPrintable(c.warnings.join(QLatin1Char('|'))));
    QCOMPARE(c.lookupTerms, 1);

    c = checkSpfRecord(QStringLiteral("v=spf1 ptr +all"));
    QVERIFY(has(c, "ptr mechanism"));
    QVERIFY(has(c, "+all"));
    c = checkSpfRecord(QStringLiteral("v=spf1 a ?all"));
    QVERIFY(has(c, "?all"));
    c = checkSpfRecord(QStringLiteral("v=spf1 a mx"));
    QVERIFY(has(c, "no \"all\""));
    c = checkSpfRecord(QStringLiteral("v=spf1 -all redirect=x.example.com"));
    QVERIFY(has(c, "redirect= is ignored"));
    c = checkSpfRecord(QStringLiteral("v=spf1 -all a"));
    QVERIFY(has(c, "after \"all\""));
    c = checkSpfRecord(QStringLiteral("v=spf1 default=deny ip4:192.0.2.5/24 -all"));
    QVERIFY(has(c, "obsolete"));
    QVERIFY(has(c, "bits are set"));
    c = checkSpfRecord(QStringLiteral("v=spf1 exists:%{p}.x.example.com -all"));
    QVERIFY(has(c, "%{p}"));
    QString many = QStringLiteral("v=spf1");
    for (int i = 0; i < 11; ++i)
        many += QStringLiteral(" include:i%1.example.com").arg(i);
    c = checkSpfRecord(many + QStringLiteral(" -all"));
    QCOMPARE(c.lookupTerms, 11);
    QVERIFY(has(c, "limit of 10"));
    QString longRecord = QStringLiteral("v=spf1");
    for (int i = 0; i < 20; ++i)
        longRecord += QStringLiteral(" ip4:192.0.2.%1").arg(i);
    c = checkSpfRecord(longRecord + QStringLiteral(" -all"));
    QVERIFY(has(c, "longer than 255"));
    c = checkSpfRecord(longRecord + longRecord.mid(6) + QStringLiteral(" -all"));
    QVERIFY(has(c, "UDP"));
    c = checkSpfRecord(QStringLiteral("v=spf1 -all exp"));
    QVERIFY(!c.valid);
    QVERIFY(c.error.contains(QLatin1String("exp")));
}

// ================================================================ conformance

void TstSpf::suiteData(const QString &file)
{
    QTest::addColumn<int>("scenario");
    QTest::addColumn<int>("test");
    const QJsonArray suite = loadSuite(file);
    QVERIFY2(!suite.isEmpty(), qPrintable(file + QStringLiteral(" not found or empty")));
    for (int s = 0; s < suite.size(); ++s) {
        const QJsonObject sc = suite.at(s).toObject();
        const QJsonArray tests = sc.value(QLatin1String("tests")).toArray();
        for (int t = 0; t < tests.size(); ++t) {
            const QString name = tests.at(t).toObject().value(QLatin1String("name")).toString();
            QTest::newRow(qPrintable(QStringLiteral("%1: %2").arg(
                sc.value(QLatin1String("description")).toString(), name)))
                << s << t;
        }
    }
}

void TstSpf::runSuiteCase(bool rfc4408)
{
    QFETCH(int, scenario);
    QFETCH(int, test);
    const QJsonArray suite = loadSuite(rfc4408 ? QStringLiteral("rfc4408-tests.json")
                                               : QStringLiteral("rfc7208-tests.json"));
    const QJsonObject sc = suite.at(scenario).toObject();
    const QJsonObject t = sc.value(QLatin1String("tests")).toArray().at(test).toObject();

    ZoneResolver zone(sc.value(QLatin1String("zonedata")).toObject());
    SpfEvaluator evaluator(&zone);
    SpfRequest req;
    req.ip = QHostAddress(t.value(QLatin1String("host")).toString());
    QVERIFY(!req.ip.isNull());
    req.helo = t.value(QLatin1String("helo")).toString();
    req.sender = t.value(QLatin1String("mailfrom")).toString();
    req.receiver = QStringLiteral("receiver.example.net");
    const SpfOutcome o = runCheck(evaluator, req);
    QVERIFY2(o.problem != QLatin1String("no callback"), "no result");

    QStringList accepted;
    for (const QJsonValue &v : t.value(QLatin1String("result")).toArray())
        accepted << v.toString();
    const QString got = spfResultName(o.result);
    const QString detail = QStringLiteral("got %1 (mechanism \"%2\", problem \"%3\"), accepted %4")
                               .arg(got, o.mechanism, o.problem, accepted.join(QLatin1Char('/')));
    QVERIFY2(accepted.contains(got), qPrintable(detail));
    if (t.contains(QLatin1String("explanation"))) {
        const QString want = t.value(QLatin1String("explanation")).toString();
        // The suite's driver sets the default explanation to "DEFAULT"; ours is empty.
        QCOMPARE(o.explanation, want == QLatin1String("DEFAULT") ? QString() : want);
    }
}

// ================================================================ evaluator contract

void TstSpf::callbackContract()
{
    QJsonObject z;
    z.insert(QStringLiteral("ok.example.com"),
             QJsonArray{QJsonObject{{QStringLiteral("type"), QStringLiteral("TXT")},
                                    {QStringLiteral("value"), QJsonArray{QStringLiteral("v=spf1 -all")}}}});
    ZoneResolver zone(z);
    auto evaluator = std::make_unique<SpfEvaluator>(&zone);
    SpfRequest req;
    req.ip = QHostAddress(QStringLiteral("192.0.2.1"));
    req.sender = QStringLiteral("a@ok.example.com");

    // An invalid domain is decided without DNS, still never from inside check().
    SpfRequest bad = req;
    bad.sender = QStringLiteral("a@[192.0.2.1]");
    int calls = 0;
    SpfOutcome o = runCheck(*evaluator, bad, 5000, &calls);
    QCOMPARE(calls, 1);
    QCOMPARE(o.result, SpfResult::None);
    QVERIFY(!o.problem.isEmpty());
    bad.ip = QHostAddress();
    o = runCheck(*evaluator, bad);
    QCOMPARE(o.result, SpfResult::None);
    QVERIFY(o.problem.contains(QLatin1String("address")));

    // Context destroyed first: no callback, and the check is dropped.
    auto *ctx = new QObject;
    int ctxCalls = 0;
    evaluator->check(req, ctx, [&](const SpfOutcome &) { ++ctxCalls; });
    QCOMPARE(evaluator->activeChecks(), 1);
    delete ctx;
    QTest::qWait(50);
    QCOMPARE(ctxCalls, 0);
    QCOMPARE(evaluator->activeChecks(), 0);

    // Many checks at once: exactly one callback each.
    int total = 0;
    QObject alive;
    for (int i = 0; i < 20; ++i)
        evaluator->check(req, &alive, [&](const SpfOutcome &r) { total += r.result == SpfResult::Fail; });
    QVERIFY(QTest::qWaitFor([&] { return total == 20; }, 5000));
    QTest::qWait(20);
    QCOMPARE(total, 20);
    QCOMPARE(evaluator->activeChecks(), 0);

    // Evaluator destroyed with checks in flight: no callback, no crash.
    int late = 0;
    evaluator->check(req, nullptr, [&](const SpfOutcome &) { ++late; });
    evaluator.reset();
    QTest::qWait(50);
    QCOMPARE(late, 0);
}

void TstSpf::outcomeDetails()
{
    const auto txt = [](const char *v) {
        return QJsonObject{{QStringLiteral("type"), QStringLiteral("TXT")},
                           {QStringLiteral("value"), QJsonArray{QString::fromLatin1(v)}}};
    };
    QJsonObject z;
    z.insert(QStringLiteral("top.example.com"),
             QJsonArray{txt("v=spf1 include:inc.example.com redirect=red.example.com")});
    z.insert(QStringLiteral("inc.example.com"), QJsonArray{txt("v=spf1 ip4:192.0.2.0/24 -all")});
    z.insert(QStringLiteral("red.example.com"), QJsonArray{txt("v=spf1 a:nx1.example.com -all exp=why.example.com")});
    z.insert(QStringLiteral("why.example.com"), QJsonArray{txt("%{c} is not allowed for %{o} (%{d})")});
    ZoneResolver zone(z);
    SpfEvaluator evaluator(&zone);
    SpfRequest req;
    req.ip = QHostAddress(QStringLiteral("192.0.2.9"));
    req.sender = QStringLiteral("user@top.example.com");
    SpfOutcome o = runCheck(evaluator, req);
    QCOMPARE(o.result, SpfResult::Pass);
    QCOMPARE(o.domain, QStringLiteral("top.example.com"));
    QCOMPARE(o.mechanism, QStringLiteral("include:inc.example.com"));
    QCOMPARE(o.record, QStringLiteral("v=spf1 include:inc.example.com redirect=red.example.com"));
    QCOMPARE(o.dnsLookups, 1);
    QVERIFY(o.explanation.isEmpty());

    req.ip = QHostAddress(QStringLiteral("198.51.100.7"));
    o = runCheck(evaluator, req);
    QCOMPARE(o.result, SpfResult::Fail);
    QCOMPARE(o.mechanism, QStringLiteral("redirect=red.example.com (-all)"));
    QCOMPARE(o.explanation, QStringLiteral("198.51.100.7 is not allowed for top.example.com (red.example.com)"));
    QCOMPARE(o.dnsLookups, 3); // include, redirect, a
    QCOMPARE(o.voidLookups, 1);

    // The HELO check: `domain` overrides the sender's.
    req.domain = QStringLiteral("inc.example.com");
    req.ip = QHostAddress(QStringLiteral("::ffff:192.0.2.77"));
    o = runCheck(evaluator, req);
    QCOMPARE(o.result, SpfResult::Pass);
    QCOMPARE(o.domain, QStringLiteral("inc.example.com"));
    QCOMPARE(o.mechanism, QStringLiteral("ip4:192.0.2.0/24"));

    req.domain = QStringLiteral("none.example.com");
    o = runCheck(evaluator, req);
    QCOMPARE(o.result, SpfResult::None);
    QVERIFY(o.record.isEmpty());
    QVERIFY(!o.problem.isEmpty());
}

QTEST_GUILESS_MAIN(TstSpf)
#include "tst_spf.moc"
