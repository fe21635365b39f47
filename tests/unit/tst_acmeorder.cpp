// The ACME order state machine fed canned server replies (a scripted
// Transport): nonce handling and badNonce retry, jwk-then-kid signing,
// problem documents turned into clear errors, dns-01 waiting for DNS through
// a Resolver, Retry-After, and clean-up on failure. The full happy path runs
// against Pebble in tst_acmepebble.
#include "acme/acmeorder.h"
#include "acme/acmetransport.h"
#include "acme/http01responder.h"
#include "dns/resolver.h"
#include "tls/certificatestore.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

using namespace rd;
using namespace rd::acme;

namespace {

const QString kDir = QStringLiteral("https://ca.test/dir");

struct Call {
    QByteArray method;
    QString url;
    QJsonObject header;  // decoded protected header (POST)
    QByteArray payload;  // decoded payload (POST)
    qint64 atMs = 0;
};

class ScriptedTransport : public Transport {
public:
    std::function<HttpReply(const Call &)> handler;
    QList<Call> calls;
    QElapsedTimer clock;
    ScriptedTransport() { clock.start(); }
    void request(const QByteArray &method, const QString &url, const QByteArray &body, Callback cb) override
    {
        Call c{method, url, {}, {}, clock.elapsed()};
        if (method == "POST") {
            const QJsonObject jws = QJsonDocument::fromJson(body).object();
            auto dec = [&](const char *k) {
                return QByteArray::fromBase64(jws.value(QLatin1String(k)).toString().toLatin1(), QByteArray::Base64UrlEncoding);
            };
            c.header = QJsonDocument::fromJson(dec("protected")).object();
            c.payload = dec("payload");
        }
        calls << c;
        const HttpReply reply = handler(c);
        QTimer::singleShot(0, this, [cb, reply] { cb(reply); });
    }
};

HttpReply json(int status, const QJsonObject &o, QHash<QByteArray, QByteArray> headers = {})
{
    static int n = 0;
    headers.insert("replay-nonce", "nonce-" + QByteArray::number(++n));
    return HttpReply{status, headers, QJsonDocument(o).toJson(), {}};
}

QJsonObject directory()
{
    return {{QStringLiteral("newNonce"), QStringLiteral("https://ca.test/nonce")},
            {QStringLiteral("newAccount"), QStringLiteral("https://ca.test/acct")},
            {QStringLiteral("newOrder"), QStringLiteral("https://ca.test/order")}};
}

QJsonObject problem(const QString &type, const QString &detail)
{
    return {{QStringLiteral("type"), QStringLiteral("urn:ietf:params:acme:error:") + type}, {QStringLiteral("detail"), detail}};
}

class ZoneResolver : public dns::Resolver {
public:
    QHash<QString, QList<QByteArray>> txt;
    int lookups = 0;
protected:
    void startLookup(dns::RequestId id, const QString &name, dns::RecordType type) override
    {
        ++lookups;
        dns::Answer a;
        a.name = name;
        a.type = type;
        a.status = txt.contains(name) ? dns::Status::Ok : dns::Status::NxDomain;
        for (const QByteArray &v : txt.value(name))
            a.txt.append(dns::TxtRecord{{v}, 60});
        finishLater(id, a);
    }
    void cancelLookup(dns::RequestId) override {}
};

} // namespace

class TestAcmeOrder : public QObject {
    Q_OBJECT
private slots:
    void init();
    void badNonceIsRetriedAndProblemIsReported();
    void dns01WaitsForDnsHonoursRetryAfterAndCleansUp();
    void notADirectory();
    void networkError();
    void confirmDnsWithoutResolver();
    void http01RequestParsing();
    void http01ResponderServesOnlyKnownTokens();

private:
    AcmeResult run(AcmeOrder &order, int timeoutMs = 10000);
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<tls::CertificateStore> m_store;
};

void TestAcmeOrder::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_store = std::make_unique<tls::CertificateStore>(m_dir->filePath(QStringLiteral("tls")));
    QVERIFY(m_store->open(nullptr));
}

AcmeResult TestAcmeOrder::run(AcmeOrder &order, int timeoutMs)
{
    QSignalSpy finished(&order, &AcmeOrder::finished);
    order.start();
    if (!finished.wait(timeoutMs))
        return AcmeResult{false, QStringLiteral("timeout")};
    [&] { QCOMPARE(finished.size(), 1); }();
    return finished.first().first().value<AcmeResult>();
}

void TestAcmeOrder::badNonceIsRetriedAndProblemIsReported()
{
    ScriptedTransport t;
    int accountPosts = 0;
    t.handler = [&](const Call &c) -> HttpReply {
        if (c.method == "GET" && c.url == kDir)
            return json(200, directory());
        if (c.method == "HEAD")
            return json(200, {});
        if (c.url == QLatin1String("https://ca.test/acct")) {
            if (++accountPosts == 1)
                return json(400, problem(QStringLiteral("badNonce"), QStringLiteral("JWS has an invalid anti-replay nonce")));
            return json(201, {{QStringLiteral("status"), QStringLiteral("valid")}},
                        {{"location", "https://ca.test/acct/7"}});
        }
        if (c.url == QLatin1String("https://ca.test/order"))
            return json(403, problem(QStringLiteral("rejectedIdentifier"),
                                     QStringLiteral("Cannot issue for \"bad.example\"")));
        return json(404, {});
    };
    AcmeRequest req{kDir, QStringLiteral("admin@example.org"), true, {QStringLiteral("bad.example")}};
    AcmeOrder order(&t, m_store.get(), req);
    const AcmeResult r = run(order);
    QVERIFY(!r.ok);
    QCOMPARE(r.error, QStringLiteral("ACME new order failed: Cannot issue for \"bad.example\" (HTTP 403, rejectedIdentifier)"));
    QCOMPARE(r.account.accountUrl, QStringLiteral("https://ca.test/acct/7"));

    QCOMPARE(t.calls.size(), 5); // GET dir, HEAD nonce, POST acct (badNonce), POST acct, POST order
    const Call &first = t.calls[2], &retry = t.calls[3], &order2 = t.calls[4];
    // The retry uses the nonce that came with the badNonce error; each nonce is used once.
    QVERIFY(first.header.value(QLatin1String("nonce")).toString() != retry.header.value(QLatin1String("nonce")).toString());
    QVERIFY(retry.header.value(QLatin1String("nonce")).toString().startsWith(QLatin1String("nonce-")));
    // newAccount is signed with the jwk, later requests with the kid (RFC 8555 6.2).
    QVERIFY(retry.header.contains(QLatin1String("jwk")) && !retry.header.contains(QLatin1String("kid")));
    QCOMPARE(order2.header.value(QLatin1String("kid")).toString(), QStringLiteral("https://ca.test/acct/7"));
    QVERIFY(!order2.header.contains(QLatin1String("jwk")));
    QCOMPARE(order2.header.value(QLatin1String("url")).toString(), QStringLiteral("https://ca.test/order"));
    const QJsonObject acct = QJsonDocument::fromJson(retry.payload).object();
    QCOMPARE(acct.value(QLatin1String("termsOfServiceAgreed")).toBool(), true);
    QCOMPARE(acct.value(QLatin1String("contact")).toArray().first().toString(), QStringLiteral("mailto:admin@example.org"));
    const QJsonObject ord = QJsonDocument::fromJson(order2.payload).object();
    QCOMPARE(ord.value(QLatin1String("identifiers")).toArray().first().toObject().value(QLatin1String("value")).toString(),
             QStringLiteral("bad.example"));
}

void TestAcmeOrder::dns01WaitsForDnsHonoursRetryAfterAndCleansUp()
{
    ScriptedTransport t;
    ZoneResolver resolver;
    int authzPolls = 0;
    qint64 challengeAt = -1;
    t.handler = [&](const Call &c) -> HttpReply {
        if (c.method == "GET")
            return json(200, directory());
        if (c.method == "HEAD")
            return json(200, {});
        if (c.url == QLatin1String("https://ca.test/order"))
            return json(201, {{QStringLiteral("status"), QStringLiteral("pending")},
                              {QStringLiteral("authorizations"), QJsonArray{QStringLiteral("https://ca.test/authz/1")}},
                              {QStringLiteral("finalize"), QStringLiteral("https://ca.test/finalize/1")}},
                        {{"location", "https://ca.test/order/1"}});
        if (c.url == QLatin1String("https://ca.test/chall/1")) {
            challengeAt = c.atMs;
            return json(200, {{QStringLiteral("status"), QStringLiteral("processing")}});
        }
        if (c.url == QLatin1String("https://ca.test/authz/1")) {
            const QJsonObject ident{{QStringLiteral("type"), QStringLiteral("dns")}, {QStringLiteral("value"), QStringLiteral("mx.example.org")}};
            QJsonObject chall{{QStringLiteral("type"), QStringLiteral("dns-01")}, {QStringLiteral("url"), QStringLiteral("https://ca.test/chall/1")},
                              {QStringLiteral("token"), QStringLiteral("DGyRejmCefe7v4NfDGDKfA")}};
            const QJsonObject http{{QStringLiteral("type"), QStringLiteral("http-01")}, {QStringLiteral("url"), QStringLiteral("https://ca.test/chall/2")},
                                   {QStringLiteral("token"), QStringLiteral("other")}};
            if (challengeAt < 0) // before the challenge was answered
                return json(200, {{QStringLiteral("status"), QStringLiteral("pending")}, {QStringLiteral("identifier"), ident},
                                  {QStringLiteral("challenges"), QJsonArray{http, chall}}});
            if (++authzPolls == 1)
                return json(200, {{QStringLiteral("status"), QStringLiteral("pending")}, {QStringLiteral("identifier"), ident},
                                  {QStringLiteral("challenges"), QJsonArray{chall}}}, {{"retry-after", "1"}});
            chall.insert(QStringLiteral("error"), problem(QStringLiteral("unauthorized"), QStringLiteral("Incorrect TXT record found")));
            return json(200, {{QStringLiteral("status"), QStringLiteral("invalid")}, {QStringLiteral("identifier"), ident},
                              {QStringLiteral("challenges"), QJsonArray{chall}}});
        }
        return json(404, problem(QStringLiteral("malformed"), QStringLiteral("unexpected ") + c.url));
    };
    const AccountKey key = AccountKey::generate();
    AcmeRequest req{kDir, {}, false, {QStringLiteral("mx.example.org")}, ChallengeType::Dns01};
    AcmeOrder order(&t, m_store.get(), req);
    order.setAccount(key, QStringLiteral("https://ca.test/acct/9"));
    order.setResolver(&resolver);
    order.setDnsPollInterval(100);
    order.setPollInterval(50);
    QList<DnsChallengeRecord> records;
    connect(&order, &AcmeOrder::dnsRecordsNeeded, this, [&](const QList<DnsChallengeRecord> &r) {
        records = r;
        // Published 500 ms later: the order must not answer the challenge before.
        QTimer::singleShot(500, this, [&] { resolver.txt[QStringLiteral("_acme-challenge.mx.example.org")] << records.first().value.toLatin1(); });
    });
    QElapsedTimer clock;
    clock.start();
    const AcmeResult r = run(order);
    QVERIFY(!r.ok);
    QCOMPARE(r.error, QStringLiteral("ACME dns-01 failed: mx.example.org is invalid: Incorrect TXT record found"));
    QCOMPARE(records.size(), 1);
    QCOMPARE(records.first().name, QStringLiteral("_acme-challenge.mx.example.org"));
    const QByteArray ka = "DGyRejmCefe7v4NfDGDKfA." + key.thumbprint();
    QCOMPARE(records.first().value.toLatin1(),
             QCryptographicHash::hash(ka, QCryptographicHash::Sha256).toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
    QVERIFY2(resolver.lookups >= 3, "DNS should be polled until the record appears");
    QVERIFY(challengeAt >= 450);
    // Retry-After: 1 -> the second authorization poll comes about a second after the first.
    QList<qint64> polls;
    bool afterChallenge = false;
    for (const Call &c : std::as_const(t.calls)) {
        afterChallenge = afterChallenge || c.url == QLatin1String("https://ca.test/chall/1");
        if (afterChallenge && c.url == QLatin1String("https://ca.test/authz/1"))
            polls << c.atMs;
    }
    QCOMPARE(polls.size(), 2);
    QVERIFY2(polls[1] - polls[0] >= 900, qPrintable(QString::number(polls[1] - polls[0])));
    // The existing account is used: no newAccount, kid everywhere.
    for (const Call &c : std::as_const(t.calls)) {
        QVERIFY(c.url != QLatin1String("https://ca.test/acct"));
        if (c.method == "POST")
            QCOMPARE(c.header.value(QLatin1String("kid")).toString(), QStringLiteral("https://ca.test/acct/9"));
    }
    QVERIFY(m_store->pendingRequests().isEmpty());
}

void TestAcmeOrder::notADirectory()
{
    ScriptedTransport t;
    t.handler = [](const Call &) { return HttpReply{200, {}, "<html>hello</html>", {}}; };
    AcmeOrder order(&t, m_store.get(), AcmeRequest{kDir, {}, true, {QStringLiteral("a.example")}});
    const AcmeResult r = run(order);
    QCOMPARE(r.error, QStringLiteral("ACME directory failed: https://ca.test/dir is not an ACME directory (no newNonce)"));
}

void TestAcmeOrder::networkError()
{
    ScriptedTransport t;
    t.handler = [](const Call &) { return HttpReply{0, {}, {}, QStringLiteral("Connection refused")}; };
    AcmeOrder order(&t, m_store.get(), AcmeRequest{kDir, {}, true, {QStringLiteral("a.example")}});
    QCOMPARE(run(order).error, QStringLiteral("ACME directory failed: Connection refused"));
}

void TestAcmeOrder::confirmDnsWithoutResolver()
{
    ScriptedTransport t;
    bool answered = false;
    t.handler = [&](const Call &c) -> HttpReply {
        if (c.method == "GET")
            return json(200, directory());
        if (c.method == "HEAD")
            return json(200, {});
        if (c.url.endsWith(QLatin1String("/order")))
            return json(201, {{QStringLiteral("authorizations"), QJsonArray{QStringLiteral("https://ca.test/authz/1")}},
                              {QStringLiteral("finalize"), QStringLiteral("https://ca.test/finalize/1")}},
                        {{"location", "https://ca.test/order/1"}});
        if (c.url.endsWith(QLatin1String("/chall/1"))) {
            answered = true;
            return json(200, {});
        }
        const QJsonObject chall{{QStringLiteral("type"), QStringLiteral("dns-01")}, {QStringLiteral("url"), QStringLiteral("https://ca.test/chall/1")},
                                {QStringLiteral("token"), QStringLiteral("tok")}};
        return json(200, {{QStringLiteral("status"), answered ? QStringLiteral("deactivated") : QStringLiteral("pending")},
                          {QStringLiteral("identifier"), QJsonObject{{QStringLiteral("value"), QStringLiteral("a.example")}}},
                          {QStringLiteral("challenges"), QJsonArray{chall}}});
    };
    AcmeOrder order(&t, m_store.get(), AcmeRequest{kDir, {}, true, {QStringLiteral("a.example")}, ChallengeType::Dns01});
    order.setAccount(AccountKey::generate(), QStringLiteral("https://ca.test/acct/1"));
    QSignalSpy finished(&order, &AcmeOrder::finished);
    QSignalSpy needed(&order, &AcmeOrder::dnsRecordsNeeded);
    order.start();
    QVERIFY(needed.wait(5000));
    QTest::qWait(300);
    QVERIFY(!answered); // waits for the admin
    order.confirmDnsPublished();
    QVERIFY(finished.wait(5000));
    QVERIFY(answered);
    QCOMPARE(finished.first().first().value<AcmeResult>().error,
             QStringLiteral("ACME dns-01 failed: a.example is deactivated"));
}

void TestAcmeOrder::http01RequestParsing()
{
    Http01Request r = parseHttp01Request("GET /.well-known/acme-challenge/abc_DEF-1 HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY(r.complete && r.valid);
    QCOMPARE(r.token, QByteArray("abc_DEF-1"));
    QVERIFY(parseHttp01Request("HEAD /.well-known/acme-challenge/t HTTP/1.0\r\n\r\n").valid);
    QVERIFY(!parseHttp01Request("GET /.well-known/acme-challenge/t HTTP/1.1\r\nHost: x\r\n").complete); // needs more
    r = parseHttp01Request("GET /etc/passwd HTTP/1.1\r\n\r\n");
    QVERIFY(r.complete && !r.valid);
    QVERIFY(!parseHttp01Request("GET /.well-known/acme-challenge/../../x HTTP/1.1\r\n\r\n").valid);
    QVERIFY(!parseHttp01Request("POST /.well-known/acme-challenge/t HTTP/1.1\r\n\r\n").valid);
    r = parseHttp01Request(QByteArray(9000, 'A')); // no end of headers: complete (refused), never buffered forever
    QVERIFY(r.complete && !r.valid);
}

void TestAcmeOrder::http01ResponderServesOnlyKnownTokens()
{
    Http01Responder responder;
    QVERIFY(responder.start(QHostAddress::LocalHost, 0, nullptr));
    responder.addToken("tok1", "tok1.thumb");
    auto fetch = [&](const QByteArray &request) {
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, responder.port());
        QByteArray got;
        QObject::connect(&s, &QTcpSocket::connected, &s, [&] { s.write(request); });
        QObject::connect(&s, &QTcpSocket::readyRead, &s, [&] { got += s.readAll(); });
        QTest::qWaitFor([&] { return s.state() == QAbstractSocket::UnconnectedState && !got.isEmpty(); }, 5000);
        return got;
    };
    const QByteArray ok = fetch("GET /.well-known/acme-challenge/tok1 HTTP/1.1\r\nHost: a\r\n\r\n");
    QVERIFY(ok.startsWith("HTTP/1.1 200 OK\r\n"));
    QVERIFY(ok.endsWith("\r\n\r\ntok1.thumb"));
    QVERIFY(fetch("GET /.well-known/acme-challenge/tok2 HTTP/1.1\r\n\r\n").startsWith("HTTP/1.1 404"));
    QVERIFY(fetch("GET / HTTP/1.1\r\n\r\n").startsWith("HTTP/1.1 404"));
    responder.stop();
    QVERIFY(!responder.isListening());
    QString error;
    QTcpServer busy;
    QVERIFY(busy.listen(QHostAddress::LocalHost, 0));
    QVERIFY(!responder.start(QHostAddress::LocalHost, busy.serverPort(), &error));
    QVERIFY2(error.startsWith(QStringLiteral("cannot listen on 127.0.0.1 port %1 for http-01").arg(busy.serverPort())), qPrintable(error));
}

QTEST_GUILESS_MAIN(TestAcmeOrder)
#include "tst_acmeorder.moc"
