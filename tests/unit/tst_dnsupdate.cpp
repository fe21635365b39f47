// DNS UPDATE (RFC 2136) with TSIG (RFC 8945): the pure message building and
// checking (dns/dnsupdate.h), cross-checked by dnspython (Debian
// python3-dnspython, run as /usr/bin/python3: an independent TSIG
// implementation that parses and verifies our requests and signs replies for
// ours to verify), and the TCP client (dns/dnsupdateclient.h) against a real
// primary: Knot DNS started on 127.0.0.1 and a free port by
// tests/integration/knotserver.py, with a TSIG key allowed to update. Records
// are read back through the project's CaresResolver (not through the update
// code). Needs /usr/sbin/knotd (Debian: apt-get install knot; scripts/deps.sh).

#include "dns/caresresolver.h"
#include "dns/dnsupdate.h"
#include "dns/dnsupdateclient.h"

#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace rd::dns;
using namespace rd::dns::update;

namespace {

const QString kKnotd = QStringLiteral("/usr/sbin/knotd");
const QString kPython = QStringLiteral("/usr/bin/python3");
const QString kKeyName = QStringLiteral("acme-key");

QByteArray randomSecret(int bytes = 32)
{
    QByteArray s(bytes, Qt::Uninitialized);
    for (char &c : s)
        c = char(QRandomGenerator::global()->bounded(256));
    return s;
}

quint16 u16At(const QByteArray &b, int pos)
{
    return quint16((quint8(b[pos]) << 8) | quint8(b[pos + 1]));
}

// Runs /usr/bin/python3 -c script args, stdin given; stdout (trimmed), or a failure text in *error.
QByteArray runPython(const QString &script, const QStringList &args, const QByteArray &input, QString *error)
{
    QProcess p;
    p.start(kPython, QStringList{QStringLiteral("-c"), script} + args);
    if (!p.waitForStarted(5000)) {
        *error = p.errorString();
        return {};
    }
    p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(30000) || p.exitCode() != 0) {
        *error = QString::fromUtf8(p.readAllStandardError());
        return {};
    }
    return p.readAllStandardOutput().trimmed();
}

// dnspython: reads a TSIG-signed UPDATE (hex on stdin) with the keyring (verifying the MAC and
// the time) and prints its fields, one per line.
const char kPyReadRequest[] = R"PY(
import sys, base64, dns.message, dns.tsigkeyring, dns.tsig, dns.name
name, alg, secret = sys.argv[1], sys.argv[2], sys.argv[3]
ring = {dns.name.from_text(name): dns.tsig.Key(name, base64.b64decode(secret), alg)}
m = dns.message.from_wire(bytes.fromhex(sys.stdin.read().strip()), keyring=ring)
print("id", m.id)
print("opcode", dns.opcode.to_text(m.opcode()))
print("zone", m.zone[0].to_text())
for rr in m.update:
    for rd in rr:
        print("update", rr.name.to_text(), dns.rdataclass.to_text(rr.rdclass), dns.rdatatype.to_text(rr.rdtype),
              rr.ttl, rd.to_text())
print("tsig", m.keyname.to_text(), m.keyalgorithm.to_text(), m.tsig[0].fudge, m.tsig[0].time_signed)
print("mac", m.mac.hex())
)PY";

// dnspython: verifies the request (hex on stdin, line 1), then prints its signed response
// (hex) with the rcode in argv[4]; an extra argv[5] "tamper" signs with another request MAC.
const char kPyRespond[] = R"PY(
import sys, base64, dns.message, dns.tsigkeyring, dns.tsig, dns.name, dns.rcode
name, alg, secret, rcode = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ring = {dns.name.from_text(name): dns.tsig.Key(name, base64.b64decode(secret), alg)}
q = dns.message.from_wire(bytes.fromhex(sys.stdin.read().strip()), keyring=ring)
r = dns.message.make_response(q)
r.set_rcode(rcode)
if len(sys.argv) > 5:
    r.request_mac = b"\x00" * len(q.mac)
print(r.to_wire().hex())
)PY";

} // namespace

class TstDnsUpdate : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    // pure
    void names();
    void updateMessageFields();
    void deleteMessageFields();
    void refusesRecordsOutsideTheZone();
    void tsigKeyFromSettings();
    void signedRequestVerifiesWithDnspython_data();
    void signedRequestVerifiesWithDnspython();
    void replyVerification();
    void unsignedAndBadKeyReplies();

    // against knotd
    void addQueryDeleteAgainstKnot();
    void zoneFoundBySoaQuery();
    void wrongSecretIsBadSig();
    void unknownKeyIsBadKey();
    void nameOutsideServedZones();
    void silentServerTimesOut();
    void refusedConnection();

private:
    DnsUpdateConfig config(const QString &zone = QStringLiteral("example.test")) const;
    bool runUpdate(DnsUpdateClient &client, UpdateAction action, const QList<TxtRr> &records, QString *error);
    QList<QByteArray> lookupTxt(const QString &name, Status *status = nullptr);
    bool hasDnspython();

    QTemporaryDir m_tmp;
    QProcess *m_knot = nullptr;
    QString m_address;
    quint16 m_port = 0;
    QByteArray m_secret;
    std::unique_ptr<CaresResolver> m_resolver;
    QStringList m_lastApplied; // runUpdate(): name=value of the records the callback called applied
};

void TstDnsUpdate::initTestCase()
{
    m_secret = randomSecret();
}

void TstDnsUpdate::cleanupTestCase()
{
    m_resolver.reset();
    if (!m_knot)
        return;
    m_knot->closeWriteChannel(); // --stop-on-eof
    m_knot->terminate();
    if (!m_knot->waitForFinished(15000)) {
        m_knot->kill();
        m_knot->waitForFinished(3000);
    }
}

bool TstDnsUpdate::hasDnspython()
{
    QString error;
    runPython(QStringLiteral("import dns.tsig, dns.update"), {}, {}, &error);
    return error.isEmpty();
}

DnsUpdateConfig TstDnsUpdate::config(const QString &zone) const
{
    DnsUpdateConfig c;
    c.host = m_address;
    c.port = m_port;
    c.zone = zone;
    c.key.name = kKeyName;
    c.key.algorithm = TsigAlgorithm::HmacSha256;
    c.key.secret = m_secret;
    c.ttl = 30;
    c.timeoutMs = 5000;
    return c;
}

bool TstDnsUpdate::runUpdate(DnsUpdateClient &client, UpdateAction action, const QList<TxtRr> &records,
                             QString *error)
{
    bool done = false, ok = false;
    m_lastApplied.clear();
    client.apply(action, records, [&](bool success, const QString &text, const QList<TxtRr> &applied) {
        for (const TxtRr &r : applied)
            m_lastApplied << r.name + QLatin1Char('=') + QString::fromLatin1(r.value);
        done = true;
        ok = success;
        *error = text;
    });
    if (done) { // never inside apply()
        *error = QStringLiteral("callback ran inside apply()");
        return false;
    }
    if (!QTest::qWaitFor([&] { return done; }, 20000)) {
        *error = QStringLiteral("no callback within 20 s");
        return false;
    }
    return ok;
}

QList<QByteArray> TstDnsUpdate::lookupTxt(const QString &name, Status *status)
{
    QList<QByteArray> out;
    bool done = false;
    m_resolver->lookupTxt(name, this, [&](const Answer &a) {
        for (const rd::dns::TxtRecord &t : a.txt)
            out << t.text();
        if (status)
            *status = a.status;
        done = true;
    });
    QTest::qWaitFor([&] { return done; }, 10000);
    return out;
}

// ------------------------------------------------------------------ pure

void TstDnsUpdate::names()
{
    QCOMPARE(encodeName(QStringLiteral("Www.Example.test.")), QByteArray("\x03www\x07" "example\x04test\x00", 18));
    QCOMPARE(encodeName(QStringLiteral("_acme-challenge.a.b")),
             QByteArray("\x0f_acme-challenge\x01" "a\x01" "b\x00", 21));
    QVERIFY(encodeName(QStringLiteral("a..b")).isEmpty());
    QVERIFY(encodeName(QString()).isEmpty());
    QVERIFY(encodeName(QString(64, QLatin1Char('x')) + QStringLiteral(".test")).isEmpty());
    QCOMPARE(encodeName(QStringLiteral("bücher.test")), QByteArray("\x0dxn--bcher-kva\x04test\x00", 20));
    QCOMPARE(tsigAlgorithmName(TsigAlgorithm::HmacSha512), QStringLiteral("hmac-sha512"));
    QCOMPARE(parseTsigAlgorithm(QStringLiteral("HMAC-SHA256.")), std::optional(TsigAlgorithm::HmacSha256));
    QVERIFY(!parseTsigAlgorithm(QStringLiteral("hmac-md5")));
}

void TstDnsUpdate::updateMessageFields()
{
    const QByteArray value(43, 'v');
    QString error;
    const QByteArray m = buildUpdate(0x1234, QStringLiteral("example.test"),
                                     {{QStringLiteral("_acme-challenge.www.example.test."), value}},
                                     UpdateAction::Add, 60, &error);
    QVERIFY2(!m.isEmpty(), qPrintable(error));
    // Header: id, flags (QR 0, opcode 5 = UPDATE), ZOCOUNT 1, PRCOUNT 0, UPCOUNT 1, ADCOUNT 0.
    QCOMPARE(u16At(m, 0), quint16(0x1234));
    QCOMPARE(u16At(m, 2), quint16(0x2800));
    QCOMPARE(u16At(m, 4), quint16(1));
    QCOMPARE(u16At(m, 6), quint16(0));
    QCOMPARE(u16At(m, 8), quint16(1));
    QCOMPARE(u16At(m, 10), quint16(0));
    // Zone section: example.test SOA IN.
    const QByteArray zone("\x07" "example\x04test\x00", 14);
    QCOMPARE(m.mid(12, 14), zone);
    QCOMPARE(u16At(m, 26), quint16(6));
    QCOMPARE(u16At(m, 28), quint16(1));
    // Update section: the owner, TXT IN, TTL 60, RDLENGTH 44, one string of 43 bytes.
    const QByteArray owner = encodeName(QStringLiteral("_acme-challenge.www.example.test"));
    int p = 30;
    QCOMPARE(m.mid(p, owner.size()), owner);
    p += int(owner.size());
    QCOMPARE(u16At(m, p), quint16(16));
    QCOMPARE(u16At(m, p + 2), quint16(1));
    QCOMPARE(u16At(m, p + 4), quint16(0));
    QCOMPARE(u16At(m, p + 6), quint16(60));
    QCOMPARE(u16At(m, p + 8), quint16(44));
    QCOMPARE(quint8(m[p + 10]), quint8(43));
    QCOMPARE(m.mid(p + 11), value);
    QCOMPARE(m.size(), p + 11 + 43);
}

void TstDnsUpdate::deleteMessageFields()
{
    // Two records, the second over 255 bytes (split into two strings).
    const QByteArray longValue(300, 'x');
    const QByteArray m = buildUpdate(7, QStringLiteral("example.test"),
                                     {{QStringLiteral("a.example.test"), "one"}, {QStringLiteral("example.test"), longValue}},
                                     UpdateAction::Delete, 60);
    QVERIFY(!m.isEmpty());
    QCOMPARE(u16At(m, 8), quint16(2));
    int p = 12 + 14 + 4;
    const QByteArray a = encodeName(QStringLiteral("a.example.test"));
    QCOMPARE(m.mid(p, a.size()), a);
    p += int(a.size());
    // RFC 2136 2.5.4: class NONE, TTL 0, the exact RDATA.
    QCOMPARE(u16At(m, p), quint16(16));
    QCOMPARE(u16At(m, p + 2), quint16(254));
    QCOMPARE(u16At(m, p + 4), quint16(0));
    QCOMPARE(u16At(m, p + 6), quint16(0));
    QCOMPARE(u16At(m, p + 8), quint16(4));
    QCOMPARE(m.mid(p + 10, 4), QByteArray("\x03one"));
    p += 14;
    QCOMPARE(m.mid(p, 14), encodeName(QStringLiteral("example.test")));
    p += 14;
    QCOMPARE(u16At(m, p + 2), quint16(254));
    QCOMPARE(u16At(m, p + 8), quint16(302));
    QCOMPARE(quint8(m[p + 10]), quint8(255));
    QCOMPARE(quint8(m[p + 11 + 255]), quint8(45));
}

void TstDnsUpdate::refusesRecordsOutsideTheZone()
{
    QString error;
    QVERIFY(buildUpdate(1, QStringLiteral("example.test"), {{QStringLiteral("_acme-challenge.other.test"), "v"}},
                        UpdateAction::Add, 60, &error).isEmpty());
    QCOMPARE(error, QStringLiteral("_acme-challenge.other.test is not in the zone example.test"));
    QVERIFY(buildUpdate(1, QStringLiteral("example.test"), {{QStringLiteral("notexample.test"), "v"}},
                        UpdateAction::Add, 60, &error).isEmpty());
    QVERIFY(buildUpdate(1, QStringLiteral("example.test"), {}, UpdateAction::Add, 60, &error).isEmpty());
    QVERIFY(buildUpdate(1, QStringLiteral("bad..zone"), {{QStringLiteral("a.bad..zone"), "v"}}, UpdateAction::Add, 60,
                        &error).isEmpty());
}

void TstDnsUpdate::tsigKeyFromSettings()
{
    QString error;
    const auto key = makeTsigKey(QStringLiteral("Acme-Key."), QStringLiteral("hmac-sha512"),
                                 QString::fromLatin1(m_secret.toBase64()), &error);
    QVERIFY2(key, qPrintable(error));
    QCOMPARE(key->name, QStringLiteral("acme-key"));
    QCOMPARE(key->algorithm, TsigAlgorithm::HmacSha512);
    QCOMPARE(key->secret, m_secret);
    QVERIFY(!makeTsigKey(QStringLiteral("k"), QStringLiteral("hmac-md5"), QStringLiteral("c2VjcmV0"), &error));
    QVERIFY(error.contains(QStringLiteral("hmac-md5")));
    QVERIFY(!makeTsigKey(QStringLiteral("k"), QString(), QStringLiteral("not*base64!"), &error));
    QCOMPARE(error, QStringLiteral("the TSIG secret of key k is empty or not base64"));
    QVERIFY(!error.contains(QStringLiteral("not*base64"))); // never the secret
    QVERIFY(!makeTsigKey(QString(), QString(), QStringLiteral("c2VjcmV0"), &error));
}

void TstDnsUpdate::signedRequestVerifiesWithDnspython_data()
{
    QTest::addColumn<int>("algorithm");
    QTest::newRow("hmac-sha256") << int(TsigAlgorithm::HmacSha256);
    QTest::newRow("hmac-sha512") << int(TsigAlgorithm::HmacSha512);
}

void TstDnsUpdate::signedRequestVerifiesWithDnspython()
{
    if (!hasDnspython())
        QFAIL("/usr/bin/python3 has no dnspython (scripts/deps.sh installs python3-dnspython)");
    QFETCH(int, algorithm);
    TsigKey key{kKeyName, TsigAlgorithm(algorithm), m_secret};
    const QByteArray message = buildUpdate(0xbeef, QStringLiteral("example.test"),
                                           {{QStringLiteral("_acme-challenge.mail.example.test"), "token-value"}},
                                           UpdateAction::Add, 60);
    const quint64 now = quint64(QDateTime::currentSecsSinceEpoch());
    const SignedMessage s = signMessage(message, key, now);
    QVERIFY(!s.message.isEmpty());
    QCOMPARE(s.mac.size(), key.algorithm == TsigAlgorithm::HmacSha512 ? 64 : 32);
    QCOMPARE(s.message.left(10), message.left(10));
    QCOMPARE(u16At(s.message, 10), quint16(1)); // ARCOUNT: the TSIG record
    QCOMPARE(s.message.mid(12, message.size() - 12), message.mid(12));

    QString error;
    const QByteArray out = runPython(QString::fromLatin1(kPyReadRequest),
                                     {kKeyName, tsigAlgorithmName(key.algorithm), QString::fromLatin1(m_secret.toBase64())},
                                     s.message.toHex(), &error);
    QVERIFY2(error.isEmpty(), qPrintable(error)); // dnspython raises on a bad MAC
    const QList<QByteArray> lines = out.split('\n');
    QCOMPARE(lines.value(0), QByteArray("id 48879"));
    QCOMPARE(lines.value(1), QByteArray("opcode UPDATE"));
    QCOMPARE(lines.value(2), QByteArray("zone example.test. IN SOA"));
    QCOMPARE(lines.value(3), QByteArray("update _acme-challenge.mail.example.test. IN TXT 60 \"token-value\""));
    QCOMPARE(lines.value(4), QStringLiteral("tsig acme-key. %1. 300 %2").arg(tsigAlgorithmName(key.algorithm)).arg(now).toLatin1());
    QCOMPARE(lines.value(5), "mac " + s.mac.toHex());

    // A different secret does not verify there.
    TsigKey other = key;
    other.secret = randomSecret();
    runPython(QString::fromLatin1(kPyReadRequest),
              {kKeyName, tsigAlgorithmName(key.algorithm), QString::fromLatin1(m_secret.toBase64())},
              signMessage(message, other, now).message.toHex(), &error);
    QVERIFY2(error.contains(QStringLiteral("BadSignature")), qPrintable(error));
}

void TstDnsUpdate::replyVerification()
{
    if (!hasDnspython())
        QFAIL("/usr/bin/python3 has no dnspython (scripts/deps.sh installs python3-dnspython)");
    const TsigKey key{kKeyName, TsigAlgorithm::HmacSha256, m_secret};
    const QByteArray message = buildUpdate(0x4242, QStringLiteral("example.test"),
                                           {{QStringLiteral("_acme-challenge.example.test"), "v"}}, UpdateAction::Add, 60);
    const quint64 now = quint64(QDateTime::currentSecsSinceEpoch());
    const SignedMessage s = signMessage(message, key, now);
    const QStringList args{kKeyName, QStringLiteral("hmac-sha256"), QString::fromLatin1(m_secret.toBase64())};
    QString error;
    const QByteArray reply = QByteArray::fromHex(runPython(QString::fromLatin1(kPyRespond), args + QStringList{QStringLiteral("0")},
                                                           s.message.toHex(), &error));
    QVERIFY2(error.isEmpty() && !reply.isEmpty(), qPrintable(error));

    UpdateReply r = parseUpdateReply(reply, 0x4242, key, s.mac, now);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.rcode, 0);
    QVERIFY(r.signedReply);

    // The request MAC is part of the reply's digest (RFC 8945 5.3): another one fails.
    r = parseUpdateReply(reply, 0x4242, key, QByteArray(32, 'x'), now);
    QVERIFY(!r.ok);
    QCOMPARE(r.error, QStringLiteral("the reply's TSIG MAC does not verify (a forged or altered reply)"));
    // A reply signed over another request MAC fails too.
    const QByteArray tampered = QByteArray::fromHex(runPython(
        QString::fromLatin1(kPyRespond), args + QStringList{QStringLiteral("0"), QStringLiteral("tamper")},
        s.message.toHex(), &error));
    QVERIFY(!parseUpdateReply(tampered, 0x4242, key, s.mac, now).ok);
    // One altered byte (the zone's class) fails.
    QByteArray altered = reply;
    altered[12 + 14 + 3] = char(altered[12 + 14 + 3] ^ 0x02);
    QVERIFY(!parseUpdateReply(altered, 0x4242, key, s.mac, now).ok);
    // Another id, a clock far away.
    QCOMPARE(parseUpdateReply(reply, 0x4243, key, s.mac, now).error,
             QStringLiteral("the reply is for another request (id)"));
    r = parseUpdateReply(reply, 0x4242, key, s.mac, now + 1000);
    QVERIFY(!r.ok);
    QVERIFY2(r.error.contains(QStringLiteral("TSIG time")), qPrintable(r.error));

    // A signed error reply: REFUSED, named.
    const QByteArray refused = QByteArray::fromHex(runPython(QString::fromLatin1(kPyRespond), args + QStringList{QStringLiteral("5")},
                                                             s.message.toHex(), &error));
    r = parseUpdateReply(refused, 0x4242, key, s.mac, now);
    QVERIFY(!r.ok);
    QCOMPARE(r.rcode, 5);
    QVERIFY2(r.error.startsWith(QStringLiteral("the server said REFUSED: the update is not allowed")), qPrintable(r.error));
}

void TstDnsUpdate::unsignedAndBadKeyReplies()
{
    const TsigKey key{kKeyName, TsigAlgorithm::HmacSha256, m_secret};
    // An unsigned NOERROR reply is not accepted.
    QByteArray reply("\x00\x07\xa8\x00\x00\x00\x00\x00\x00\x00\x00\x00", 12);
    UpdateReply r = parseUpdateReply(reply, 7, key, QByteArray(32, 'm'), 0);
    QVERIFY(!r.ok);
    QCOMPARE(r.error, QStringLiteral("the reply is not signed (TSIG missing)"));
    // Unsigned NOTAUTH.
    reply[3] = char(0x09);
    QCOMPARE(parseUpdateReply(reply, 7, key, {}, 0).error,
             QStringLiteral("the server said NOTAUTH: it is not authoritative for the zone, or the key is not accepted"));
    // NOTAUTH with a TSIG record without MAC, error BADKEY (RFC 8945 5.2.2).
    reply[11] = char(1);
    reply += encodeName(kKeyName);
    QByteArray rdata = encodeName(QStringLiteral("hmac-sha256"));
    rdata += QByteArray("\x00\x00\x00\x00\x00\x01" "\x01\x2c" "\x00\x00" "\x00\x07" "\x00\x11" "\x00\x00", 16);
    reply += QByteArray("\x00\xfa\x00\xff\x00\x00\x00\x00", 8);
    reply.append(char(0)).append(char(rdata.size()));
    reply += rdata;
    r = parseUpdateReply(reply, 7, key, {}, 0);
    QVERIFY(!r.ok);
    QCOMPARE(r.tsigError, 17);
    QCOMPARE(r.error, QStringLiteral("the server said NOTAUTH (BADKEY): the server does not know the key acme-key "
                                     "with hmac-sha256"));
    // Truncated garbage.
    QVERIFY(!parseUpdateReply(reply.left(reply.size() - 3), 7, key, {}, 0).ok);
    QVERIFY(!parseUpdateReply(QByteArray(5, 'x'), 7, key, {}, 0).ok);
}

// ------------------------------------------------------------------ knotd

void TstDnsUpdate::addQueryDeleteAgainstKnot()
{
    if (!QFile::exists(kKnotd))
        QFAIL("knotd not found at /usr/sbin/knotd: run scripts/deps.sh (apt-get install knot)");
    QString script = QFINDTESTDATA("../integration/knotserver.py");
    QVERIFY2(QFile::exists(script), "tests/integration/knotserver.py not found");
    m_knot = new QProcess(this);
    m_knot->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_knot->start(kPython, {script, QStringLiteral("--zone"), QStringLiteral("example.test"), QStringLiteral("--zone"),
                            QStringLiteral("other.test"), QStringLiteral("--record"),
                            QStringLiteral("example.test=www A 127.0.0.1"), QStringLiteral("--key-name"), kKeyName,
                            QStringLiteral("--secret"), QString::fromLatin1(m_secret.toBase64()),
                            QStringLiteral("--stop-on-eof")});
    QVERIFY2(m_knot->waitForStarted(5000), qPrintable(m_knot->errorString()));
    QByteArray out;
    QVERIFY2(QTest::qWaitFor([&] {
                 out += m_knot->readAllStandardOutput();
                 return out.contains('\n') || m_knot->state() == QProcess::NotRunning;
             }, 30000),
             "knotserver.py did not print ready");
    const QList<QByteArray> words = out.trimmed().split(' ');
    QVERIFY2(words.size() == 3 && words[0] == "ready", out.constData());
    m_address = QString::fromLatin1(words[1]);
    m_port = quint16(words[2].toUInt());

    ResolverConfig rc;
    rc.servers = {QStringLiteral("%1:%2").arg(m_address).arg(m_port)};
    rc.cacheEnabled = false;
    rc.timeoutMs = 1000;
    m_resolver = std::make_unique<CaresResolver>(rc);
    QVERIFY2(m_resolver->isValid(), qPrintable(m_resolver->errorString()));

    const QString name = QStringLiteral("_acme-challenge.www.example.test");
    Status status = Status::Ok;
    QVERIFY(lookupTxt(name, &status).isEmpty());
    QCOMPARE(status, Status::NxDomain);

    DnsUpdateClient client(config());
    QString error;
    QVERIFY2(runUpdate(client, UpdateAction::Add, {{name, "first-value"}, {name, "second-value"}}, &error),
             qPrintable(error));
    QCOMPARE(m_lastApplied, (QStringList{name + QStringLiteral("=first-value"), name + QStringLiteral("=second-value")}));
    QList<QByteArray> txt = lookupTxt(name);
    std::sort(txt.begin(), txt.end());
    QCOMPARE(txt, (QList<QByteArray>{"first-value", "second-value"}));

    // Deleting one record leaves the other (exactly that RR).
    QVERIFY2(runUpdate(client, UpdateAction::Delete, {{name, "first-value"}}, &error), qPrintable(error));
    QCOMPARE(lookupTxt(name), QList<QByteArray>{"second-value"});
    QVERIFY2(runUpdate(client, UpdateAction::Delete, {{name, "second-value"}}, &error), qPrintable(error));
    QVERIFY(lookupTxt(name, &status).isEmpty());
    QCOMPARE(status, Status::NxDomain);
    // Deleting what is not there is fine (RFC 2136 3.4.2.4).
    QVERIFY2(runUpdate(client, UpdateAction::Delete, {{name, "second-value"}}, &error), qPrintable(error));
    // The A record next to it was not touched.
    QVERIFY(lookupTxt(QStringLiteral("www.example.test"), &status).isEmpty());
    QCOMPARE(status, Status::NoData);
}

void TstDnsUpdate::zoneFoundBySoaQuery()
{
    QVERIFY2(m_port, "needs knotd from addQueryDeleteAgainstKnot");
    DnsUpdateClient client(config(QString()));
    const QList<TxtRr> records{{QStringLiteral("_acme-challenge.deep.sub.example.test"), "in-example"},
                                   {QStringLiteral("_acme-challenge.other.test"), "in-other"}};
    QString error;
    QVERIFY2(runUpdate(client, UpdateAction::Add, records, &error), qPrintable(error));
    QCOMPARE(lookupTxt(records[0].name), QList<QByteArray>{"in-example"});
    QCOMPARE(lookupTxt(records[1].name), QList<QByteArray>{"in-other"});
    QVERIFY2(runUpdate(client, UpdateAction::Delete, records, &error), qPrintable(error));
    QVERIFY(lookupTxt(records[0].name).isEmpty());
    QVERIFY(lookupTxt(records[1].name).isEmpty());

    // A name in no zone of the server: REFUSED to the SOA query, named.
    QVERIFY(!runUpdate(client, UpdateAction::Add, {{QStringLiteral("_acme-challenge.nowhere.invalid"), "x"}}, &error));
    QVERIFY2(error.startsWith(QStringLiteral("DNS UPDATE: cannot find the zone of _acme-challenge.nowhere.invalid at "))
                 && error.contains(QStringLiteral("REFUSED")),
             qPrintable(error));
}

void TstDnsUpdate::wrongSecretIsBadSig()
{
    QVERIFY2(m_port, "needs knotd from addQueryDeleteAgainstKnot");
    DnsUpdateConfig c = config();
    c.key.secret = randomSecret();
    DnsUpdateClient client(c);
    QString error;
    QVERIFY(!runUpdate(client, UpdateAction::Add, {{QStringLiteral("_acme-challenge.example.test"), "x"}}, &error));
    QCOMPARE(error, QStringLiteral("DNS UPDATE (add TXT _acme-challenge.example.test in zone example.test) at %1:%2 "
                                   "failed: the server said NOTAUTH (BADSIG): the TSIG secret does not match the "
                                   "server's key acme-key").arg(m_address).arg(m_port));
    QVERIFY(!error.contains(QString::fromLatin1(c.key.secret.toBase64())));
    QVERIFY(m_lastApplied.isEmpty()); // the server said NOTAUTH: nothing to clean up
    QVERIFY(lookupTxt(QStringLiteral("_acme-challenge.example.test")).isEmpty());
}

void TstDnsUpdate::unknownKeyIsBadKey()
{
    QVERIFY2(m_port, "needs knotd from addQueryDeleteAgainstKnot");
    DnsUpdateConfig c = config();
    c.key.name = QStringLiteral("someone-else");
    DnsUpdateClient client(c);
    QString error;
    QVERIFY(!runUpdate(client, UpdateAction::Add, {{QStringLiteral("_acme-challenge.example.test"), "x"}}, &error));
    QVERIFY2(error.endsWith(QStringLiteral("the server said NOTAUTH (BADKEY): the server does not know the key "
                                           "someone-else with hmac-sha256")),
             qPrintable(error));
    // The right key name with the other algorithm: also BADKEY.
    c = config();
    c.key.algorithm = TsigAlgorithm::HmacSha512;
    DnsUpdateClient client512(c);
    QVERIFY(!runUpdate(client512, UpdateAction::Add, {{QStringLiteral("_acme-challenge.example.test"), "x"}}, &error));
    QVERIFY2(error.contains(QStringLiteral("(BADKEY)")), qPrintable(error));
}

void TstDnsUpdate::nameOutsideServedZones()
{
    QVERIFY2(m_port, "needs knotd from addQueryDeleteAgainstKnot");
    DnsUpdateClient client(config(QStringLiteral("unserved.test")));
    QString error;
    QVERIFY(!runUpdate(client, UpdateAction::Add, {{QStringLiteral("_acme-challenge.unserved.test"), "x"}}, &error));
    QVERIFY2(error.contains(QStringLiteral("the server said NOTAUTH")), qPrintable(error));
}

void TstDnsUpdate::silentServerTimesOut()
{
    // Accepts the connection and never answers.
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
    QList<QTcpSocket *> held;
    connect(&silent, &QTcpServer::newConnection, this, [&] { held << silent.nextPendingConnection(); });
    DnsUpdateConfig c = config();
    c.host = QStringLiteral("127.0.0.1");
    c.port = silent.serverPort();
    c.timeoutMs = 700;
    DnsUpdateClient client(c);
    QString error;
    QElapsedTimer t;
    t.start();
    QVERIFY(!runUpdate(client, UpdateAction::Add, {{QStringLiteral("_acme-challenge.example.test"), "x"}}, &error));
    QVERIFY(t.elapsed() >= 600);
    QCOMPARE(error, QStringLiteral("DNS UPDATE (add TXT _acme-challenge.example.test in zone example.test) at "
                                   "127.0.0.1:%1 failed: no answer from 127.0.0.1:%1 within 0.7 s").arg(c.port));
    QCOMPARE(held.size(), 1);
    // No answer: the server may have applied it, so the caller should delete it.
    QCOMPARE(m_lastApplied, QStringList{QStringLiteral("_acme-challenge.example.test=x")});
}

void TstDnsUpdate::refusedConnection()
{
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 port = probe.serverPort();
    probe.close();
    DnsUpdateConfig c = config();
    c.host = QStringLiteral("127.0.0.1");
    c.port = port;
    DnsUpdateClient client(c);
    QString error;
    QVERIFY(!runUpdate(client, UpdateAction::Add, {{QStringLiteral("_acme-challenge.example.test"), "x"}}, &error));
    QVERIFY2(error.endsWith(QStringLiteral("failed: 127.0.0.1:%1: Connection refused").arg(port)), qPrintable(error));
}

QTEST_GUILESS_MAIN(TstDnsUpdate)
#include "tst_dnsupdate.moc"
