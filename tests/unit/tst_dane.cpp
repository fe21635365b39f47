// DANE for SMTP (RFC 7672) certificate matching: TLSA records computed by
// the openssl command line (independent of rd::dane) against certificates
// it made: DANE-EE(3) by key and by certificate with SHA-256/512 and exact
// data, DANE-TA(2) through a chain with the name check, usages 0/1 ignored,
// bad input.

#include "dane/tlsa.h"

#include "tst_mtasts_support.h"

#include <QTemporaryDir>
#include <QTest>

using namespace rd::dane;

class TstDane : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void remoteResolvers();
    void parseRecords();
    void usable_data();
    void usable();
    void daneEe_data();
    void daneEe();
    void daneEeIgnoresExpiryAndName();
    void daneEeMismatch();
    void daneTa();
    void daneTaWrongName();
    void daneTaExpired();
    void daneTaAnchorMissingFromChain();
    void pkixUsagesIgnored();
    void badInput();

private:
    QByteArray der(const QString &pemName) const;
    QByteArray opensslDigest(const QString &pemName, bool spki, const QString &alg) const;

    QTemporaryDir m_tmp;
};

void TstDane::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    const QString d = m_tmp.path();
    QVERIFY(outtls::makeCa(d, QStringLiteral("ca")));
    QVERIFY(outtls::makeLeaf(d, QStringLiteral("leaf"), QStringLiteral("mx.dane.test"), QStringLiteral("ca")));
    QVERIFY(outtls::makeLeaf(d, QStringLiteral("self"), QStringLiteral("whatever.invalid"), QString()));
    QVERIFY(outtls::makeLeaf(d, QStringLiteral("other"), QStringLiteral("mx.dane.test"), QString()));
}

QByteArray TstDane::der(const QString &pemName) const
{
    QByteArray out;
    outtls::openssl(m_tmp.path(), {QStringLiteral("x509"), QStringLiteral("-in"), pemName + QStringLiteral(".pem"),
                                   QStringLiteral("-outform"), QStringLiteral("DER")},
                    &out);
    return out;
}

// The association data as the openssl tool computes it: "x509 -pubkey |
// pkey -pubin -outform DER" for SPKI, "x509 -outform DER" for the
// certificate, then "dgst -sha256/-sha512".
QByteArray TstDane::opensslDigest(const QString &pemName, bool spki, const QString &alg) const
{
    const QString d = m_tmp.path();
    const QString in = pemName + QStringLiteral(".pem");
    const QString selected = pemName + (spki ? QStringLiteral(".spki.der") : QStringLiteral(".cert.der"));
    if (spki) {
        outtls::openssl(d, {QStringLiteral("x509"), QStringLiteral("-in"), in, QStringLiteral("-pubkey"),
                            QStringLiteral("-noout"), QStringLiteral("-out"), pemName + QStringLiteral(".pub")});
        outtls::openssl(d, {QStringLiteral("pkey"), QStringLiteral("-pubin"), QStringLiteral("-in"),
                            pemName + QStringLiteral(".pub"), QStringLiteral("-outform"), QStringLiteral("DER"),
                            QStringLiteral("-out"), selected});
    } else {
        outtls::openssl(d, {QStringLiteral("x509"), QStringLiteral("-in"), in, QStringLiteral("-outform"),
                            QStringLiteral("DER"), QStringLiteral("-out"), selected});
    }
    if (alg.isEmpty())
        return outtls::readFile(QDir(d).filePath(selected));
    QByteArray out;
    outtls::openssl(d, {QStringLiteral("dgst"), QStringLiteral("-") + alg, QStringLiteral("-r"), selected}, &out);
    return QByteArray::fromHex(out.split(' ').value(0).trimmed());
}

void TstDane::parseRecords()
{
    // RFC 6698 2.3 presentation example.
    const std::optional<TlsaRecord> r =
        parseTlsaText(QStringLiteral("0 0 1 d2abde240d7cd3ee6b4b28c54df034b9 7983a1d16e8a410e4561cb106618e971"));
    QVERIFY(r);
    QCOMPARE(r->usage, 0);
    QCOMPARE(r->selector, 0);
    QCOMPARE(r->matching, 1);
    QCOMPARE(r->data.size(), 32);
    QCOMPARE(r->toString(), QStringLiteral("0 0 1 D2ABDE240D7CD3EE6B4B28C54DF034B97983A1D16E8A410E4561CB106618E971"));
    QVERIFY(!parseTlsaText(QStringLiteral("3 1 1")));
    QVERIFY(!parseTlsaText(QStringLiteral("3 1 1 xyz")));
    QVERIFY(!parseTlsaText(QStringLiteral("300 1 1 00")));
    const std::optional<TlsaRecord> w = parseTlsaRdata(QByteArray("\x03\x01\x01\xaa\xbb", 5));
    QVERIFY(w);
    QCOMPARE(w->usage, 3);
    QCOMPARE(w->data, QByteArray("\xaa\xbb", 2));
    QVERIFY(!parseTlsaRdata(QByteArray("\x03\x01\x01", 3)));
}

void TstDane::usable_data()
{
    QTest::addColumn<int>("usage");
    QTest::addColumn<int>("selector");
    QTest::addColumn<int>("matching");
    QTest::addColumn<int>("length");
    QTest::addColumn<bool>("usable");
    QTest::newRow("3 1 1") << 3 << 1 << 1 << 32 << true;
    QTest::newRow("2 0 2") << 2 << 0 << 2 << 64 << true;
    QTest::newRow("3 0 0") << 3 << 0 << 0 << 300 << true;
    QTest::newRow("3 1 1 short digest") << 3 << 1 << 1 << 31 << false;
    QTest::newRow("2 0 2 sha256-length") << 2 << 0 << 2 << 32 << false;
    QTest::newRow("PKIX-TA 0") << 0 << 0 << 1 << 32 << false;
    QTest::newRow("PKIX-EE 1") << 1 << 1 << 1 << 32 << false;
    QTest::newRow("usage 4") << 4 << 1 << 1 << 32 << false;
    QTest::newRow("selector 2") << 3 << 2 << 1 << 32 << false;
    QTest::newRow("matching 3") << 3 << 1 << 3 << 32 << false;
}

void TstDane::usable()
{
    QFETCH(int, usage);
    QFETCH(int, selector);
    QFETCH(int, matching);
    QFETCH(int, length);
    QFETCH(bool, usable);
    QCOMPARE(isUsable(TlsaRecord{quint8(usage), quint8(selector), quint8(matching), QByteArray(length, 'x')}), usable);
}

void TstDane::daneEe_data()
{
    QTest::addColumn<int>("selector");
    QTest::addColumn<int>("matching");
    QTest::addColumn<QString>("alg");
    QTest::newRow("3 1 1 (SPKI SHA-256)") << 1 << 1 << "sha256";
    QTest::newRow("3 0 1 (cert SHA-256)") << 0 << 1 << "sha256";
    QTest::newRow("3 1 2 (SPKI SHA-512)") << 1 << 2 << "sha512";
    QTest::newRow("3 0 0 (full cert)") << 0 << 0 << "";
    QTest::newRow("3 1 0 (full SPKI)") << 1 << 0 << "";
}

void TstDane::daneEe()
{
    QFETCH(int, selector);
    QFETCH(int, matching);
    QFETCH(QString, alg);
    const QByteArray data = opensslDigest(QStringLiteral("self"), selector == 1, alg);
    QVERIFY(!data.isEmpty());
    QCOMPARE(associationData(der(QStringLiteral("self")), quint8(selector), quint8(matching)), data);
    const DaneMatch m = matchChain({der(QStringLiteral("self"))}, {TlsaRecord{3, quint8(selector), quint8(matching), data}},
                                   {QStringLiteral("mx.dane.test")});
    QVERIFY2(m.matched, qPrintable(m.detail));
    QCOMPARE(m.usage, 3);
    QCOMPARE(m.depth, 0);
}

void TstDane::daneEeIgnoresExpiryAndName()
{
    // RFC 7672 3.1.1: with DANE-EE neither the name (self.pem names
    // whatever.invalid) nor the validity period matter.
    const QByteArray data = opensslDigest(QStringLiteral("self"), true, QStringLiteral("sha256"));
    const DaneMatch m = matchChain({der(QStringLiteral("self"))}, {TlsaRecord{3, 1, 1, data}},
                                   {QStringLiteral("mx.dane.test")},
                                   QDateTime::currentDateTimeUtc().addYears(10));
    QVERIFY2(m.matched, qPrintable(m.detail));
}

void TstDane::daneEeMismatch()
{
    const QByteArray data = opensslDigest(QStringLiteral("other"), true, QStringLiteral("sha256"));
    const DaneMatch m = matchChain({der(QStringLiteral("self"))}, {TlsaRecord{3, 1, 1, data}},
                                   {QStringLiteral("mx.dane.test")});
    QVERIFY(!m.matched);
    QCOMPARE(m.resultType, QStringLiteral("validation-failure"));
    QVERIFY(!m.detail.isEmpty());
    // One matching record among several is enough.
    const QByteArray good = opensslDigest(QStringLiteral("self"), true, QStringLiteral("sha256"));
    QVERIFY(matchChain({der(QStringLiteral("self"))}, {TlsaRecord{3, 1, 1, data}, TlsaRecord{3, 1, 1, good}},
                       {QStringLiteral("x")})
                .matched);
}

void TstDane::daneTa()
{
    const QByteArray caHash = opensslDigest(QStringLiteral("ca"), false, QStringLiteral("sha256"));
    const QList<QByteArray> chain{der(QStringLiteral("leaf")), der(QStringLiteral("ca"))};
    DaneMatch m = matchChain(chain, {TlsaRecord{2, 0, 1, caHash}}, {QStringLiteral("mx.dane.test")});
    QVERIFY2(m.matched, qPrintable(m.detail));
    QCOMPARE(m.usage, 2);
    QCOMPARE(m.depth, 1);
    // By the CA's key too, and case-insensitive names.
    const QByteArray caSpki = opensslDigest(QStringLiteral("ca"), true, QStringLiteral("sha512"));
    m = matchChain(chain, {TlsaRecord{2, 1, 2, caSpki}}, {QStringLiteral("MX.Dane.Test")});
    QVERIFY2(m.matched, qPrintable(m.detail));
    // A leaf not signed by the anchor (self-signed "other") does not chain to it.
    m = matchChain({der(QStringLiteral("other")), der(QStringLiteral("ca"))}, {TlsaRecord{2, 0, 1, caHash}},
                   {QStringLiteral("mx.dane.test")});
    QVERIFY(!m.matched);
}

void TstDane::daneTaWrongName()
{
    const QByteArray caHash = opensslDigest(QStringLiteral("ca"), false, QStringLiteral("sha256"));
    const DaneMatch m = matchChain({der(QStringLiteral("leaf")), der(QStringLiteral("ca"))},
                                   {TlsaRecord{2, 0, 1, caHash}}, {QStringLiteral("mx.other.test")});
    QVERIFY(!m.matched);
    QCOMPARE(m.resultType, QStringLiteral("certificate-host-mismatch"));
}

void TstDane::daneTaExpired()
{
    const QByteArray caHash = opensslDigest(QStringLiteral("ca"), false, QStringLiteral("sha256"));
    const DaneMatch m = matchChain({der(QStringLiteral("leaf")), der(QStringLiteral("ca"))},
                                   {TlsaRecord{2, 0, 1, caHash}}, {QStringLiteral("mx.dane.test")},
                                   QDateTime::currentDateTimeUtc().addYears(5));
    QVERIFY(!m.matched);
    QCOMPARE(m.resultType, QStringLiteral("certificate-expired"));
}

void TstDane::daneTaAnchorMissingFromChain()
{
    // RFC 7672 3.2.1: the server must send the TA certificate; without it no match.
    const QByteArray caHash = opensslDigest(QStringLiteral("ca"), false, QStringLiteral("sha256"));
    const DaneMatch m = matchChain({der(QStringLiteral("leaf"))}, {TlsaRecord{2, 0, 1, caHash}},
                                   {QStringLiteral("mx.dane.test")});
    QVERIFY(!m.matched);
}

void TstDane::pkixUsagesIgnored()
{
    // RFC 7672 3.1.3: PKIX-TA(0)/PKIX-EE(1) are unusable in SMTP even when they match.
    const QByteArray data = opensslDigest(QStringLiteral("self"), true, QStringLiteral("sha256"));
    const DaneMatch m = matchChain({der(QStringLiteral("self"))}, {TlsaRecord{1, 1, 1, data}, TlsaRecord{0, 1, 1, data}},
                                   {QStringLiteral("mx.dane.test")});
    QVERIFY(!m.matched);
    QVERIFY(m.detail.contains(QLatin1String("usable")));
    QVERIFY(usableRecords({TlsaRecord{1, 1, 1, data}, TlsaRecord{3, 1, 1, data}}).size() == 1);
}

void TstDane::badInput()
{
    const QByteArray data = opensslDigest(QStringLiteral("self"), true, QStringLiteral("sha256"));
    DaneMatch m = matchChain({QByteArray("not a certificate")}, {TlsaRecord{3, 1, 1, data}}, {QStringLiteral("x")});
    QVERIFY(!m.matched);
    QVERIFY(m.detail.contains(QLatin1String("unparsable")));
    m = matchChain({}, {TlsaRecord{3, 1, 1, data}}, {QStringLiteral("x")});
    QVERIFY(!m.matched);
    QVERIFY(associationData(QByteArray("junk"), 1, 1).isEmpty());
}

void TstDane::remoteResolvers()
{
    using rd::dane::daneRemoteResolvers;
    // Loopback in every spelling is local: the AD bit never leaves the machine.
    QCOMPARE(daneRemoteResolvers({QStringLiteral("127.0.0.1"), QStringLiteral("127.0.0.53:53"),
                                  QStringLiteral("[::1]:5353"), QStringLiteral("::1")}),
             QStringList());
    // Anything else is reported, in order, as written.
    QCOMPARE(daneRemoteResolvers({QStringLiteral("127.0.0.1"), QStringLiteral(" 192.0.2.53 "),
                                  QStringLiteral("[2001:db8::53]:53"), QStringLiteral("10.0.0.1:5353")}),
             QStringList({QStringLiteral("192.0.2.53"), QStringLiteral("[2001:db8::53]:53"),
                          QStringLiteral("10.0.0.1:5353")}));
    // Not an address at all: not known to be local.
    QCOMPARE(daneRemoteResolvers({QStringLiteral("resolver.example")}), QStringList({QStringLiteral("resolver.example")}));
    QCOMPARE(daneRemoteResolvers({}), QStringList());
}

QTEST_GUILESS_MAIN(TstDane)
#include "tst_dane.moc"
