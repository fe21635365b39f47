// Linked certificates (CertificateStore::linkPem/linkPkcs12) and the
// CertificateWatcher, with real files replaced the way renewers do it:
// certbot (new files in archive/, symlinks in live/ swapped by rename), lego
// and win-acme (overwrite in place, certificate and key written one after
// the other), and a temp file renamed over the old one. Certificates are made
// by tests/data/acme/makecerts.py (Python `cryptography`), not by the code
// under test.
#include "tls/certificatestore.h"
#include "tls/certificatewatcher.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QSslKey>
#include <QSslSocket>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QtTest>

using namespace rd::tls;

namespace {

class TlsServer : public QTcpServer {
public:
    std::function<QSslConfiguration()> config;
protected:
    void incomingConnection(qintptr fd) override
    {
        auto *s = new QSslSocket(this);
        s->setSocketDescriptor(fd);
        s->setSslConfiguration(config());
        connect(s, &QSslSocket::readyRead, s, [s] { s->write(s->readAll()); }); // echo
        s->startServerEncryption();
    }
};

} // namespace

class TestCertificateWatcher : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();
    void linkPemValidatesAndKeepsNoCopy();
    void linkRejectsBrokenMaterial_data();
    void linkRejectsBrokenMaterial();
    void chainInWrongOrderIsOrdered();
    void overwriteInPlaceLikeLego();
    void symlinkSwapLikeCertbot();
    void renameOverLikeWinAcme();
    void brokenReplacementKeepsOldCertificate();
    void expiredReplacementIsRejected();
    void pfxLinkWithPasswordReloads();
    void newSessionsGetNewCertificateOldOnesContinue();

private:
    QString src(const QString &name) const { return m_certs.filePath(name); }
    QString work(const QString &name) const { return m_work->filePath(name); }
    QByteArray read(const QString &path) const;
    void put(const QString &path, const QByteArray &data); // overwrite in place
    void renameOver(const QString &path, const QByteArray &data);
    QString commonNameOf(const CertificateWatcher &w, const QString &id) const;

    QTemporaryDir m_certDir;
    QDir m_certs;
    std::unique_ptr<QTemporaryDir> m_work;
    std::unique_ptr<CertificateStore> m_store;
};

void TestCertificateWatcher::initTestCase()
{
    QVERIFY(m_certDir.isValid());
    m_certs = QDir(m_certDir.path());
    QProcess py;
    py.start(QStringLiteral("/usr/bin/python3"),
             {QFINDTESTDATA("../data/acme/makecerts.py"), m_certDir.path()});
    QVERIFY(py.waitForFinished(60000));
    QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
}

void TestCertificateWatcher::init()
{
    m_work = std::make_unique<QTemporaryDir>();
    QVERIFY(m_work->isValid());
    m_store = std::make_unique<CertificateStore>(work(QStringLiteral("store")));
    QString error;
    QVERIFY2(m_store->open(&error), qPrintable(error));
}

void TestCertificateWatcher::cleanup()
{
    m_store.reset();
    m_work.reset();
}

QByteArray TestCertificateWatcher::read(const QString &path) const
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void TestCertificateWatcher::put(const QString &path, const QByteArray &data)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(f.write(data), data.size());
}

void TestCertificateWatcher::renameOver(const QString &path, const QByteArray &data)
{
    const QString tmp = path + QStringLiteral(".new");
    put(tmp, data);
    QVERIFY(std::rename(QFile::encodeName(tmp).constData(), QFile::encodeName(path).constData()) == 0);
}

QString TestCertificateWatcher::commonNameOf(const CertificateWatcher &w, const QString &id) const
{
    const std::optional<QSslConfiguration> c = w.configuration(id);
    if (!c || c->localCertificate().isNull())
        return {};
    return c->localCertificate().subjectInfo(QSslCertificate::CommonName).value(0);
}

void TestCertificateWatcher::linkPemValidatesAndKeepsNoCopy()
{
    QFile::copy(src(QStringLiteral("one.crt")), work(QStringLiteral("cert.pem")));
    QFile::copy(src(QStringLiteral("one.key")), work(QStringLiteral("key.pem")));
    const ImportResult r = m_store->linkPem(work(QStringLiteral("cert.pem")), work(QStringLiteral("key.pem")), QStringLiteral("Linked"));
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.info.commonName, QStringLiteral("one.watch.test"));
    QCOMPARE(m_store->linkedIds(), QStringList{r.id});
    QCOMPARE(m_store->linkedFiles(r.id), (QStringList{work(QStringLiteral("cert.pem")), work(QStringLiteral("key.pem"))}));
    const std::optional<CertificateInfo> info = m_store->info(r.id);
    QVERIFY(info);
    QCOMPARE(info->source, QStringLiteral("linked-pem"));
    QCOMPARE(info->name, QStringLiteral("Linked"));
    // The store holds only the metadata: no key or certificate copy.
    const QStringList files = QDir(m_store->folder()).entryList(QDir::Files);
    QCOMPARE(files, QStringList{r.id + QStringLiteral(".json")});
    QVERIFY(!read(m_store->folder() + QLatin1Char('/') + files.first()).contains("PRIVATE KEY"));
    QString error;
    const std::optional<QSslConfiguration> c = m_store->serverConfiguration(r.id, &error);
    QVERIFY2(c, qPrintable(error));
    QCOMPARE(c->localCertificate(), QSslCertificate(read(src(QStringLiteral("one.crt")))));
    QVERIFY(!c->privateKey().isNull());
    QCOMPARE(m_store->exportCertificatePem(r.id), QSslCertificate(read(src(QStringLiteral("one.crt")))).toPem());
    // Combined file (cert + key in one).
    put(work(QStringLiteral("combined.pem")), read(src(QStringLiteral("two.crt"))) + read(src(QStringLiteral("two.key"))));
    const ImportResult combined = m_store->linkPem(work(QStringLiteral("combined.pem")), {}, {});
    QVERIFY2(combined.ok, qPrintable(combined.error));
    QCOMPARE(combined.info.commonName, QStringLiteral("two.watch.test"));
    QVERIFY(m_store->remove(r.id));
    QVERIFY(QFile::exists(work(QStringLiteral("cert.pem")))); // the admin's files are never removed
}

void TestCertificateWatcher::linkRejectsBrokenMaterial_data()
{
    QTest::addColumn<QString>("cert");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("error");
    QTest::newRow("key of another certificate") << "one.crt" << "two.key" << "the private key does not match the certificate";
    QTest::newRow("expired") << "expired.crt" << "expired.key" << "the certificate expired on 2020-02-01T00:00:00Z";
    QTest::newRow("missing file") << "nope.crt" << "one.key" << "cannot read";
    QTest::newRow("not PEM") << "one.pfx" << "one.key" << "not a PEM certificate";
}

void TestCertificateWatcher::linkRejectsBrokenMaterial()
{
    QFETCH(QString, cert);
    QFETCH(QString, key);
    QFETCH(QString, error);
    const ImportResult r = m_store->linkPem(src(cert), src(key), {});
    QVERIFY(!r.ok);
    QVERIFY2(r.error.contains(error), qPrintable(r.error));
    QVERIFY(m_store->list().isEmpty());
    QVERIFY(QDir(m_store->folder()).entryList(QDir::Files).isEmpty());
}

void TestCertificateWatcher::chainInWrongOrderIsOrdered()
{
    const ImportResult r = m_store->linkPem(src(QStringLiteral("bundle-ca-first.pem")), {}, {});
    QVERIFY2(r.ok, qPrintable(r.error));
    const LinkedLoad load = m_store->loadLinked(r.id);
    QVERIFY(load.ok);
    const QList<QSslCertificate> chain = load.configuration.localCertificateChain();
    QCOMPARE(chain.size(), 2);
    QCOMPARE(chain[0], QSslCertificate(read(src(QStringLiteral("leaf.crt")))));
    QCOMPARE(chain[1], QSslCertificate(read(src(QStringLiteral("ca.crt")))));
}

void TestCertificateWatcher::overwriteInPlaceLikeLego()
{
    put(work(QStringLiteral("site.crt")), read(src(QStringLiteral("one.crt"))));
    put(work(QStringLiteral("site.key")), read(src(QStringLiteral("one.key"))));
    const ImportResult r = m_store->linkPem(work(QStringLiteral("site.crt")), work(QStringLiteral("site.key")), {});
    QVERIFY2(r.ok, qPrintable(r.error));
    CertificateWatcher w(m_store.get());
    w.setSettleDelay(600);
    QSignalSpy changed(&w, &CertificateWatcher::certificateChanged);
    QSignalSpy failed(&w, &CertificateWatcher::reloadFailed);
    w.watch(r.id);
    QVERIFY(changed.wait(5000));
    QCOMPARE(commonNameOf(w, r.id), QStringLiteral("one.watch.test"));
    // Certificate first, key 200 ms later: the mismatch in between must not be reported.
    put(work(QStringLiteral("site.crt")), read(src(QStringLiteral("two.crt"))));
    QTest::qWait(200);
    put(work(QStringLiteral("site.key")), read(src(QStringLiteral("two.key"))));
    QVERIFY(changed.wait(10000));
    QCOMPARE(changed.size(), 2);
    QCOMPARE(changed.last().at(1).value<CertificateInfo>().commonName, QStringLiteral("two.watch.test"));
    QCOMPARE(commonNameOf(w, r.id), QStringLiteral("two.watch.test"));
    QCOMPARE(failed.size(), 0);
}

void TestCertificateWatcher::symlinkSwapLikeCertbot()
{
    QDir(work({})).mkpath(QStringLiteral("archive/mail"));
    QDir(work({})).mkpath(QStringLiteral("live/mail"));
    put(work(QStringLiteral("archive/mail/fullchain1.pem")), read(src(QStringLiteral("one.crt"))));
    put(work(QStringLiteral("archive/mail/privkey1.pem")), read(src(QStringLiteral("one.key"))));
    QVERIFY(QFile::link(QStringLiteral("../../archive/mail/fullchain1.pem"), work(QStringLiteral("live/mail/fullchain.pem"))));
    QVERIFY(QFile::link(QStringLiteral("../../archive/mail/privkey1.pem"), work(QStringLiteral("live/mail/privkey.pem"))));
    const ImportResult r = m_store->linkPem(work(QStringLiteral("live/mail/fullchain.pem")),
                                            work(QStringLiteral("live/mail/privkey.pem")), {});
    QVERIFY2(r.ok, qPrintable(r.error));
    CertificateWatcher w(m_store.get());
    w.setSettleDelay(300);
    w.setPollInterval(0); // the folder notification alone must do it
    QSignalSpy changed(&w, &CertificateWatcher::certificateChanged);
    w.watch(r.id);
    QVERIFY(changed.wait(5000));
    // certbot: write archive/*2.pem, then replace each live/ symlink by renaming a new one over it.
    put(work(QStringLiteral("archive/mail/fullchain2.pem")), read(src(QStringLiteral("three.crt"))));
    put(work(QStringLiteral("archive/mail/privkey2.pem")), read(src(QStringLiteral("three.key"))));
    for (const char *name : {"fullchain", "privkey"}) {
        const QString link = work(QStringLiteral("live/mail/%1.pem").arg(QLatin1String(name)));
        QVERIFY(QFile::link(QStringLiteral("../../archive/mail/%1%2.pem").arg(QLatin1String(name)).arg(2), link + QStringLiteral(".tmp")));
        QVERIFY(std::rename(QFile::encodeName(link + QStringLiteral(".tmp")).constData(), QFile::encodeName(link).constData()) == 0);
    }
    QVERIFY(changed.wait(10000));
    QCOMPARE(commonNameOf(w, r.id), QStringLiteral("three.watch.test"));
}

void TestCertificateWatcher::renameOverLikeWinAcme()
{
    put(work(QStringLiteral("both.pem")), read(src(QStringLiteral("one.crt"))) + read(src(QStringLiteral("one.key"))));
    const ImportResult r = m_store->linkPem(work(QStringLiteral("both.pem")), {}, {});
    QVERIFY2(r.ok, qPrintable(r.error));
    CertificateWatcher w(m_store.get());
    w.setSettleDelay(300);
    QSignalSpy changed(&w, &CertificateWatcher::certificateChanged);
    w.watch(r.id);
    QVERIFY(changed.wait(5000));
    renameOver(work(QStringLiteral("both.pem")), read(src(QStringLiteral("two.crt"))) + read(src(QStringLiteral("two.key"))));
    QVERIFY(changed.wait(10000));
    QCOMPARE(commonNameOf(w, r.id), QStringLiteral("two.watch.test"));
    // A second replacement works too (the renamed file is watched again).
    renameOver(work(QStringLiteral("both.pem")), read(src(QStringLiteral("three.crt"))) + read(src(QStringLiteral("three.key"))));
    QVERIFY(changed.wait(10000));
    QCOMPARE(commonNameOf(w, r.id), QStringLiteral("three.watch.test"));
}

void TestCertificateWatcher::brokenReplacementKeepsOldCertificate()
{
    put(work(QStringLiteral("c.pem")), read(src(QStringLiteral("one.crt"))));
    put(work(QStringLiteral("k.pem")), read(src(QStringLiteral("one.key"))));
    const ImportResult r = m_store->linkPem(work(QStringLiteral("c.pem")), work(QStringLiteral("k.pem")), {});
    QVERIFY2(r.ok, qPrintable(r.error));
    CertificateWatcher w(m_store.get());
    w.setSettleDelay(300);
    QSignalSpy changed(&w, &CertificateWatcher::certificateChanged);
    QSignalSpy failed(&w, &CertificateWatcher::reloadFailed);
    w.watch(r.id);
    QVERIFY(changed.wait(5000));
    // Truncated certificate.
    const QByteArray good = read(src(QStringLiteral("two.crt")));
    put(work(QStringLiteral("c.pem")), good.left(good.size() / 2));
    QVERIFY(failed.wait(10000));
    QCOMPARE(failed.first().at(0).toString(), r.id);
    const QString error = failed.first().at(1).toString();
    QVERIFY2(error.contains(work(QStringLiteral("c.pem"))) && error.contains(QStringLiteral("not a PEM certificate")), qPrintable(error));
    QCOMPARE(commonNameOf(w, r.id), QStringLiteral("one.watch.test")); // still served
    // The same broken content is reported once, not on every poll.
    w.checkNow();
    QTest::qWait(1000);
    QCOMPARE(failed.size(), 1);
    // A certificate whose key is not there: also rejected, still the old one.
    put(work(QStringLiteral("c.pem")), good);
    QVERIFY(failed.wait(10000));
    QVERIFY2(failed.last().at(1).toString().contains(QStringLiteral("the private key does not match the certificate")),
             qPrintable(failed.last().at(1).toString()));
    QCOMPARE(commonNameOf(w, r.id), QStringLiteral("one.watch.test"));
    // Fixed: swapped in.
    put(work(QStringLiteral("k.pem")), read(src(QStringLiteral("two.key"))));
    QVERIFY(changed.wait(10000));
    QCOMPARE(commonNameOf(w, r.id), QStringLiteral("two.watch.test"));
}

void TestCertificateWatcher::expiredReplacementIsRejected()
{
    put(work(QStringLiteral("c.pem")), read(src(QStringLiteral("one.crt"))) + read(src(QStringLiteral("one.key"))));
    const ImportResult r = m_store->linkPem(work(QStringLiteral("c.pem")), {}, {});
    QVERIFY2(r.ok, qPrintable(r.error));
    CertificateWatcher w(m_store.get());
    w.setSettleDelay(200);
    QSignalSpy changed(&w, &CertificateWatcher::certificateChanged);
    QSignalSpy failed(&w, &CertificateWatcher::reloadFailed);
    w.watch(r.id);
    QVERIFY(changed.wait(5000));
    renameOver(work(QStringLiteral("c.pem")), read(src(QStringLiteral("expired.crt"))) + read(src(QStringLiteral("expired.key"))));
    QVERIFY(failed.wait(10000));
    QVERIFY2(failed.first().at(1).toString().contains(QStringLiteral("expired")), qPrintable(failed.first().at(1).toString()));
    QCOMPARE(commonNameOf(w, r.id), QStringLiteral("one.watch.test"));
    QCOMPARE(changed.size(), 1);
}

void TestCertificateWatcher::pfxLinkWithPasswordReloads()
{
    QFile::copy(src(QStringLiteral("one.pfx")), work(QStringLiteral("site.pfx")));
    QVERIFY(!m_store->linkPkcs12(work(QStringLiteral("site.pfx")), QStringLiteral("wrong"), {}).ok);
    const ImportResult bad = m_store->linkPkcs12(work(QStringLiteral("site.pfx")), QStringLiteral("wrong"), {});
    QVERIFY(bad.error.contains(QStringLiteral("wrong password for the PFX file")));
    QVERIFY(QDir(m_store->folder()).entryList(QDir::Files).isEmpty()); // no secret left behind
    const ImportResult r = m_store->linkPkcs12(work(QStringLiteral("site.pfx")), QStringLiteral("s3cret pfx"), {});
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.info.commonName, QStringLiteral("one.watch.test"));
    const QString secret = m_store->folder() + QLatin1Char('/') + r.id + QStringLiteral(".secret");
    const QFileDevice::Permissions perms = QFile::permissions(secret);
    QVERIFY(perms.testFlags(QFileDevice::ReadOwner | QFileDevice::WriteOwner));
    QVERIFY(!(perms & (QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ReadOther | QFileDevice::WriteOther)));
    QVERIFY(!read(m_store->folder() + QLatin1Char('/') + r.id + QStringLiteral(".json")).contains("s3cret"));
    QCOMPARE(m_store->info(r.id)->source, QStringLiteral("linked-pfx"));

    CertificateWatcher w(m_store.get());
    w.setSettleDelay(200);
    QSignalSpy changed(&w, &CertificateWatcher::certificateChanged);
    w.watch(r.id);
    QVERIFY(changed.wait(5000));
    renameOver(work(QStringLiteral("site.pfx")), read(src(QStringLiteral("two.pfx"))));
    QVERIFY(changed.wait(10000));
    QCOMPARE(commonNameOf(w, r.id), QStringLiteral("two.watch.test"));
    QVERIFY(m_store->remove(r.id));
    QVERIFY(!QFile::exists(secret));
}

void TestCertificateWatcher::newSessionsGetNewCertificateOldOnesContinue()
{
    put(work(QStringLiteral("c.pem")), read(src(QStringLiteral("one.crt"))) + read(src(QStringLiteral("one.key"))));
    const ImportResult r = m_store->linkPem(work(QStringLiteral("c.pem")), {}, {});
    QVERIFY2(r.ok, qPrintable(r.error));
    CertificateWatcher w(m_store.get());
    w.setSettleDelay(200);
    QSignalSpy changed(&w, &CertificateWatcher::certificateChanged);
    w.watch(r.id);
    QVERIFY(changed.wait(5000));
    TlsServer server;
    server.config = [&] { return *w.configuration(r.id); };
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    auto connectClient = [&](QSslSocket &c) {
        c.setPeerVerifyMode(QSslSocket::VerifyNone);
        c.connectToHostEncrypted(QStringLiteral("127.0.0.1"), server.serverPort());
    };
    QSslSocket first;
    connectClient(first);
    QTRY_VERIFY_WITH_TIMEOUT(first.isEncrypted(), 10000);
    QCOMPARE(first.peerCertificate().subjectInfo(QSslCertificate::CommonName).value(0), QStringLiteral("one.watch.test"));

    renameOver(work(QStringLiteral("c.pem")), read(src(QStringLiteral("two.crt"))) + read(src(QStringLiteral("two.key"))));
    QVERIFY(changed.wait(10000));
    QSslSocket second;
    connectClient(second);
    QTRY_VERIFY_WITH_TIMEOUT(second.isEncrypted(), 10000);
    QCOMPARE(second.peerCertificate().subjectInfo(QSslCertificate::CommonName).value(0), QStringLiteral("two.watch.test"));
    // The first session still works (echo through the server).
    first.write("still here");
    QByteArray echoed;
    QTRY_VERIFY_WITH_TIMEOUT((echoed += first.readAll()) == "still here", 5000);
    QCOMPARE(first.state(), QAbstractSocket::ConnectedState);
}

QTEST_GUILESS_MAIN(TestCertificateWatcher)
#include "tst_certificatewatcher.moc"
