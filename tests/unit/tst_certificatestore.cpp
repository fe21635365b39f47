// The certificate store: PEM/PFX import, self-signed and CSR flows, parsed
// fields checked against the openssl tool, failures that leave nothing behind,
// and real TLS handshakes (openssl s_client and QSslSocket) on 127.0.0.1.
// Test material is made at run time with the `openssl` command-line tool.
#include "tls/certificatestore.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSslCipher>
#include <QSslSocket>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace rd::tls;

Q_DECLARE_METATYPE(rd::tls::KeyType)

namespace {

// A TLS server as the listeners will run it: QTcpServer + startServerEncryption().
class TlsServer : public QTcpServer {
public:
    explicit TlsServer(QSslConfiguration config) : m_config(std::move(config)) {}
    bool encrypted = false;
    QSsl::SslProtocol protocol = QSsl::UnknownProtocol;
    QString cipher;
    QStringList errors;

protected:
    void incomingConnection(qintptr fd) override
    {
        auto *s = new QSslSocket(this);
        s->setSslConfiguration(m_config);
        s->setSocketDescriptor(fd);
        connect(s, &QSslSocket::encrypted, this, [this, s] {
            encrypted = true;
            protocol = s->sessionProtocol();
            cipher = s->sessionCipher().name();
            s->write("220 ready\r\n");
        });
        connect(s, &QSslSocket::errorOccurred, this, [this, s] { errors << s->errorString(); });
        s->startServerEncryption();
    }

private:
    QSslConfiguration m_config;
};

struct Run {
    int exitCode = -1;
    QByteArray out; // stdout + stderr
};

QString protocolName(QSsl::SslProtocol p)
{
    return p == QSsl::TlsV1_2 ? QStringLiteral("TLSv1.2") : p == QSsl::TlsV1_3 ? QStringLiteral("TLSv1.3") : QStringLiteral("?");
}

int fileMode(const QString &path)
{
    struct stat st {};
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? int(st.st_mode & 07777) : -1;
}

} // namespace

class TestCertificateStore : public QObject {
    Q_OBJECT

    QTemporaryDir m_material; // CA, leaves, keys, PFX files
    QTemporaryDir m_data;     // the store's data dir
    QString m_folder;

    QString file(const QString &name) const { return m_material.filePath(name); }
    QByteArray read(const QString &name) const
    {
        QFile f(file(name));
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }
    void write(const QString &name, const QByteArray &data) const
    {
        QFile f(file(name));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(data);
    }

    // Runs `openssl args...` in the material folder, pumping the event loop so
    // an in-process TLS server can answer.
    Run openssl(const QStringList &args) const
    {
        QProcess p;
        p.setWorkingDirectory(m_material.path());
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(QStringLiteral("openssl"), args);
        p.closeWriteChannel();
        const bool done = QTest::qWaitFor([&] { return p.state() == QProcess::NotRunning; }, 60000);
        if (!done)
            p.kill();
        Run r;
        r.exitCode = done && p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out = p.readAll();
        return r;
    }
    bool ok(const QStringList &args) const
    {
        const Run r = openssl(args);
        if (r.exitCode != 0)
            qWarning("openssl %s failed:\n%s", qPrintable(args.join(QLatin1Char(' '))), r.out.constData());
        return r.exitCode == 0;
    }
    QString fingerprint(const QString &cert, const char *digest) const
    {
        const Run r = openssl({"x509", "-in", cert, "-noout", "-fingerprint", QLatin1String("-") + digest});
        return QString::fromLatin1(r.out.trimmed()).section(QLatin1Char('='), 1);
    }
    int fileCount() const { return QDir(m_folder).entryList(QDir::Files | QDir::Hidden).size(); }

    // Signs `name`.csr with the intermediate CA, adding `ext` (an extfile).
    bool signLeaf(const QString &name, int days)
    {
        return ok({"x509", "-req", "-in", name + ".csr", "-CA", "int.crt", "-CAkey", "int.key", "-CAcreateserial",
                   "-days", QString::number(days), "-sha256", "-extfile", "leaf.ext", "-out", name + ".crt"});
    }

    Run sClient(quint16 port, const QStringList &extra) const
    {
        return openssl(QStringList{"s_client", "-connect", QStringLiteral("127.0.0.1:%1").arg(port), "-brief"} + extra);
    }

    std::unique_ptr<TlsServer> serve(CertificateStore &store, const QString &id)
    {
        QString error;
        const std::optional<QSslConfiguration> config = store.serverConfiguration(id, &error);
        if (!config)
            qWarning("serverConfiguration: %s", qPrintable(error));
        auto server = std::make_unique<TlsServer>(config.value_or(QSslConfiguration()));
        server->listen(QHostAddress::LocalHost, 0);
        return server;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(QSslSocket::supportsSsl());
        QCOMPARE(QSslSocket::activeBackend(), QStringLiteral("openssl"));
        m_folder = CertificateStore::defaultFolder(m_data.path());
        write("ca.ext", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
                        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
        write("leaf.ext", "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                          "extendedKeyUsage=serverAuth\n"
                          "subjectAltName=DNS:mail.example.test,DNS:smtp.example.test,IP:127.0.0.1\n");
        // Root and intermediate CA.
        QVERIFY(ok({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "root.key", "-out", "root.crt",
                    "-days", "3650", "-subj", "/CN=RelayDesk Test Root"}));
        QVERIFY(ok({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", "int.key", "-out", "int.csr", "-subj",
                    "/CN=RelayDesk Test Intermediate"}));
        QVERIFY(ok({"x509", "-req", "-in", "int.csr", "-CA", "root.crt", "-CAkey", "root.key", "-CAcreateserial",
                    "-days", "3650", "-sha256", "-extfile", "ca.ext", "-out", "int.crt"}));
        // RSA leaf with SANs, its encrypted key, a key that matches nothing.
        QVERIFY(ok({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj",
                    "/O=RelayDesk Tests/CN=mail.example.test"}));
        QVERIFY(signLeaf(QStringLiteral("leaf"), 90));
        QVERIFY(ok({"pkey", "-in", "leaf.key", "-aes256", "-passout", "pass:key pass", "-out", "leaf-enc.key"}));
        QVERIFY(ok({"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "other.key"}));
        write("chain.crt", read("int.crt") + read("root.crt"));
        // PFX files: OpenSSL 3 default (AES-256-CBC, PBKDF2) and -legacy (RC2-40 + 3DES).
        QVERIFY(ok({"pkcs12", "-export", "-inkey", "leaf.key", "-in", "leaf.crt", "-certfile", "chain.crt",
                    "-passout", "pass:s3cret", "-out", "leaf.pfx"}));
        QVERIFY(ok({"pkcs12", "-export", "-legacy", "-inkey", "leaf.key", "-in", "leaf.crt", "-certfile",
                    "chain.crt", "-passout", "pass:s3cret", "-out", "legacy.pfx"}));
        // ECDSA P-256 and Ed25519 self-signed, 30 and 365 days.
        QVERIFY(ok({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                    "ec.key", "-out", "ec.crt", "-days", "30", "-subj", "/CN=ec.example.test", "-addext",
                    "subjectAltName=DNS:ec.example.test"}));
        QVERIFY(ok({"req", "-x509", "-newkey", "ed25519", "-nodes", "-keyout", "ed.key", "-out", "ed.crt", "-days",
                    "365", "-subj", "/CN=ed.example.test", "-addext", "subjectAltName=DNS:ed.example.test"}));
        // An expired leaf: `openssl ca` is the 3.0 tool that takes explicit dates.
        QDir(m_material.path()).mkpath(QStringLiteral("newcerts"));
        write("index.txt", "");
        write("serial", "1000\n");
        write("ca.cnf", "[ca]\ndefault_ca=test\n[test]\ndir=.\ndatabase=$dir/index.txt\nnew_certs_dir=$dir/newcerts\n"
                        "serial=$dir/serial\ndefault_md=sha256\npolicy=any\nunique_subject=no\ncopy_extensions=copy\n"
                        "[any]\ncommonName=supplied\n");
        QVERIFY(ok({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", "expired.key", "-out", "expired.csr", "-subj",
                    "/CN=old.example.test", "-addext", "subjectAltName=DNS:old.example.test"}));
        QVERIFY(ok({"ca", "-batch", "-config", "ca.cnf", "-cert", "int.crt", "-keyfile", "int.key", "-in",
                    "expired.csr", "-out", "expired.crt", "-notext", "-startdate", "20200101000000Z", "-enddate",
                    "20200201000000Z"}));
    }

    void expiryThresholds()
    {
        CertificateInfo i;
        const QDateTime now(QDate(2025, 6, 1), QTime(12, 0), Qt::UTC);
        i.notAfter = now.addDays(31);
        QCOMPARE(i.expiry(now), CertificateInfo::Ok);
        QCOMPARE(i.daysLeft(now), 31);
        i.notAfter = now.addDays(30);
        QCOMPARE(i.expiry(now), CertificateInfo::Warn30);
        i.notAfter = now.addDays(8);
        QCOMPARE(i.expiry(now), CertificateInfo::Warn30);
        i.notAfter = now.addDays(7);
        QCOMPARE(i.expiry(now), CertificateInfo::Warn7);
        i.notAfter = now.addSecs(3600);
        QCOMPARE(i.expiry(now), CertificateInfo::Warn7);
        QCOMPARE(i.daysLeft(now), 0);
        i.notAfter = now.addSecs(-1);
        QCOMPARE(i.expiry(now), CertificateInfo::Expired);
        QCOMPARE(i.daysLeft(now), -1);
    }

    void openCreatesPrivateFolder()
    {
        CertificateStore store(m_folder);
        QString error;
        QVERIFY2(store.open(&error), qPrintable(error));
        QCOMPARE(fileMode(m_folder), 0700);
        QVERIFY(store.list().isEmpty());
        QVERIFY(!CertificateStore::isValidId(QStringLiteral("../../etc/pa")));
        QVERIFY(!store.remove(QStringLiteral("../x")));
        QVERIFY(!store.info(QStringLiteral("abc")));
    }

    void importPemChainInAnyOrder()
    {
        CertificateStore store(m_folder);
        QVERIFY(store.open(nullptr));
        // Root, leaf, intermediate: stored leaf first, then each issuer.
        const ImportResult r = store.importPem(read("root.crt") + read("leaf.crt") + read("int.crt"),
                                               read("leaf.key"), {}, QStringLiteral("Mail"));
        QVERIFY2(r.ok, qPrintable(r.error));
        QVERIFY(CertificateStore::isValidId(r.id));
        QVERIFY2(r.warnings.isEmpty(), qPrintable(r.warnings.join(QLatin1Char('|'))));
        const CertificateInfo &i = r.info;
        QCOMPARE(i.name, QStringLiteral("Mail"));
        QCOMPARE(i.source, QStringLiteral("pem"));
        QCOMPARE(i.subject, QStringLiteral("CN=mail.example.test, O=RelayDesk Tests"));
        QCOMPARE(i.commonName, QStringLiteral("mail.example.test"));
        QCOMPARE(i.issuer, QStringLiteral("CN=RelayDesk Test Intermediate"));
        QCOMPARE(i.sans, (QStringList{"mail.example.test", "smtp.example.test", "127.0.0.1"}));
        QCOMPARE(i.keyType, QStringLiteral("RSA"));
        QCOMPARE(i.keyBits, 2048);
        QVERIFY(!i.selfSigned);
        QCOMPARE(i.chainLength, 3);
        QCOMPARE(i.sha256Fingerprint, fingerprint(file("leaf.crt"), "sha256"));
        QCOMPARE(i.sha1Fingerprint, fingerprint(file("leaf.crt"), "sha1"));
        const QDateTime now = QDateTime::currentDateTimeUtc();
        QVERIFY(i.daysLeft(now) == 89 || i.daysLeft(now) == 90);
        QCOMPARE(i.expiry(now), CertificateInfo::Ok);

        // Files: owner-only, the chain in order, never the key in the export.
        for (const char *suffix : {".crt.pem", ".key.pem", ".json"})
            QCOMPARE(fileMode(m_folder + QLatin1Char('/') + r.id + QLatin1String(suffix)), 0600);
        const QByteArray exported = store.exportCertificatePem(r.id);
        QVERIFY(!exported.contains("PRIVATE KEY"));
        const QList<QSslCertificate> chain = QSslCertificate::fromData(exported);
        QCOMPARE(chain.size(), 3);
        QCOMPARE(chain.at(0), QSslCertificate(read("leaf.crt")));
        QCOMPARE(chain.at(1), QSslCertificate(read("int.crt")));
        QCOMPARE(chain.at(2), QSslCertificate(read("root.crt")));

        // A second, reopened store sees the same entry; importing it again warns.
        CertificateStore again(m_folder);
        QVERIFY(again.open(nullptr));
        const std::optional<CertificateInfo> loaded = again.info(r.id);
        QVERIFY(loaded);
        QCOMPARE(loaded->sha256Fingerprint, i.sha256Fingerprint);
        QCOMPARE(loaded->name, QStringLiteral("Mail"));
        QCOMPARE(again.list().size(), 1);
        const ImportResult dup = again.importPem(read("leaf.crt") + read("leaf.key"), {}, {}, {}); // combined file
        QVERIFY2(dup.ok, qPrintable(dup.error));
        QCOMPARE(dup.info.chainLength, 1);
        QCOMPARE(dup.info.name, QStringLiteral("mail.example.test")); // defaults to the CN
        QVERIFY(dup.warnings.join(QLatin1Char(' ')).contains(QLatin1String("already stored as \"Mail\"")));
        QVERIFY(again.remove(dup.id));
        QVERIFY(!again.remove(dup.id));
        QVERIFY(again.remove(r.id));
        QCOMPARE(fileCount(), 0);
    }

    void importPemEncryptedKey()
    {
        CertificateStore store(m_folder);
        QVERIFY(store.open(nullptr));
        const QByteArray pem = read("leaf.crt") + read("int.crt");
        ImportResult r = store.importPem(pem, read("leaf-enc.key"), {}, {});
        QCOMPARE(r.error, QStringLiteral("the private key is encrypted: enter its passphrase"));
        r = store.importPem(pem, read("leaf-enc.key"), "wrong", {});
        QCOMPARE(r.error, QStringLiteral("wrong passphrase for the private key"));
        QCOMPARE(fileCount(), 0);
        r = store.importPem(pem, read("leaf-enc.key"), "key pass", {});
        QVERIFY2(r.ok, qPrintable(r.error));
        // Stored unencrypted (owner-only permissions are the protection).
        QFile key(m_folder + QLatin1Char('/') + r.id + QStringLiteral(".key.pem"));
        QVERIFY(key.open(QIODevice::ReadOnly));
        QVERIFY(key.readAll().startsWith("-----BEGIN PRIVATE KEY-----"));
        QVERIFY(store.remove(r.id));
    }

    void failedImportsLeaveNothing_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("error");
        QTest::newRow("key mismatch") << "mismatch" << "the private key does not match the certificate";
        QTest::newRow("not pem") << "notpem" << "not a PEM certificate";
        QTest::newRow("der certificate") << "der" << "not a PEM certificate";
        QTest::newRow("no key") << "nokey" << "not a PEM private key";
        QTest::newRow("pfx wrong password") << "pfxpass" << "wrong password for the PFX file";
        QTest::newRow("pfx random bytes") << "pfxrandom" << "the file is corrupt or not a PKCS#12 file";
        QTest::newRow("pfx truncated") << "pfxtrunc" << "the file is corrupt or not a PKCS#12 file";
        QTest::newRow("pfx is pem") << "pfxpem" << "the file is corrupt or not a PKCS#12 file";
        QTest::newRow("csr unknown id") << "csrid" << "there is no pending signing request with id \"0123456789ab\"";
    }
    void failedImportsLeaveNothing()
    {
        QFETCH(QString, kind);
        QFETCH(QString, error);
        CertificateStore store(m_folder);
        QVERIFY(store.open(nullptr));
        const ImportResult kept = store.importPem(read("ec.crt"), read("ec.key"), {}, {}); // something already there
        QVERIFY(kept.ok);
        const int before = fileCount();
        QByteArray random(4096, Qt::Uninitialized);
        QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(random.data()), random.size() / 4);
        const QByteArray pfx = read("leaf.pfx");
        ImportResult r;
        if (kind == QLatin1String("mismatch"))
            r = store.importPem(read("leaf.crt"), read("other.key"), {}, {});
        else if (kind == QLatin1String("notpem"))
            r = store.importPem(random, read("leaf.key"), {}, {});
        else if (kind == QLatin1String("der"))
            r = store.importPem(QSslCertificate(read("leaf.crt")).toDer(), read("leaf.key"), {}, {});
        else if (kind == QLatin1String("nokey"))
            r = store.importPem(read("leaf.crt"), random, {}, {});
        else if (kind == QLatin1String("pfxpass"))
            r = store.importPkcs12(pfx, QStringLiteral("guess"), {});
        else if (kind == QLatin1String("pfxrandom"))
            r = store.importPkcs12(random, QStringLiteral("s3cret"), {});
        else if (kind == QLatin1String("pfxtrunc"))
            r = store.importPkcs12(pfx.left(pfx.size() / 2), QStringLiteral("s3cret"), {});
        else if (kind == QLatin1String("pfxpem"))
            r = store.importPkcs12(read("leaf.crt"), QStringLiteral("s3cret"), {});
        else if (kind == QLatin1String("csrid"))
            r = store.importSignedCertificate(QStringLiteral("0123456789ab"), read("leaf.crt"));
        QVERIFY(!r.ok);
        QCOMPARE(r.error, error);
        QVERIFY(r.id.isEmpty());
        QCOMPARE(fileCount(), before);
        QVERIFY(store.remove(kept.id));
        QCOMPARE(fileCount(), 0);
    }

    // Runs before importPkcs12Legacy: the legacy provider is not loaded yet.
    void pkcs12LegacyWithoutProvider()
    {
        QTemporaryDir noModules;
        const QByteArray saved = qgetenv("OPENSSL_MODULES");
        qputenv("OPENSSL_MODULES", QFile::encodeName(noModules.path()));
        CertificateStore store(m_folder);
        QVERIFY(store.open(nullptr));
        const ImportResult r = store.importPkcs12(read("legacy.pfx"), QStringLiteral("s3cret"), {});
        if (saved.isNull())
            qunsetenv("OPENSSL_MODULES");
        else
            qputenv("OPENSSL_MODULES", saved);
        if (r.ok)
            QSKIP("the legacy provider was already loaded in this process");
        QVERIFY(r.error.contains(QLatin1String("legacy provider is not available")));
        QCOMPARE(fileCount(), 0);
    }

    void importPkcs12_data()
    {
        QTest::addColumn<QString>("pfx");
        QTest::newRow("modern AES-256") << "leaf.pfx";
        QTest::newRow("legacy RC2/3DES") << "legacy.pfx";
    }
    void importPkcs12()
    {
        QFETCH(QString, pfx);
        CertificateStore store(m_folder);
        QVERIFY(store.open(nullptr));
        const ImportResult r = store.importPkcs12(read(pfx), QStringLiteral("s3cret"), QStringLiteral("PFX"));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.info.source, QStringLiteral("pkcs12"));
        QCOMPARE(r.info.sha256Fingerprint, fingerprint(file("leaf.crt"), "sha256"));
        QCOMPARE(r.info.chainLength, 3);
        QCOMPARE(r.info.keyBits, 2048);
        QCOMPARE(fileMode(m_folder + QLatin1Char('/') + r.id + QStringLiteral(".key.pem")), 0600);
        QVERIFY(store.serverConfiguration(r.id, nullptr));
        QVERIFY(store.remove(r.id));
    }

    void expiredCertificateIsAWarning()
    {
        CertificateStore store(m_folder);
        QVERIFY(store.open(nullptr));
        const ImportResult r = store.importPem(read("expired.crt"), read("expired.key"), {}, {});
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.warnings, QStringList{QStringLiteral("certificate has expired (on 2020-02-01)")});
        const QDateTime now = QDateTime::currentDateTimeUtc();
        QCOMPARE(r.info.notBefore, QDateTime(QDate(2020, 1, 1), QTime(0, 0), Qt::UTC));
        QCOMPARE(r.info.notAfter, QDateTime(QDate(2020, 2, 1), QTime(0, 0), Qt::UTC));
        QCOMPARE(r.info.expiry(now), CertificateInfo::Expired);
        QVERIFY(r.info.daysLeft(now) < -365);
        QVERIFY(store.remove(r.id));
    }

    void ecdsaAndEd25519()
    {
        CertificateStore store(m_folder);
        QVERIFY(store.open(nullptr));
        const ImportResult ec = store.importPem(read("ec.crt"), read("ec.key"), {}, {});
        QVERIFY2(ec.ok, qPrintable(ec.error));
        QCOMPARE(ec.info.keyType, QStringLiteral("ECDSA P-256"));
        QCOMPARE(ec.info.keyBits, 256);
        QVERIFY(ec.info.selfSigned);
        QCOMPARE(ec.info.subject, ec.info.issuer);
        QCOMPARE(ec.info.expiry(QDateTime::currentDateTimeUtc()), CertificateInfo::Warn30);
        QVERIFY(ec.warnings.join(QLatin1Char(' ')).contains(QRegularExpression(QStringLiteral("certificate expires in (29|30) days"))));
        const ImportResult ed = store.importPem(read("ed.crt"), read("ed.key"), {}, {});
        QVERIFY2(ed.ok, qPrintable(ed.error));
        QCOMPARE(ed.info.keyType, QStringLiteral("Ed25519"));
        QCOMPARE(ed.info.sha256Fingerprint, fingerprint(file("ed.crt"), "sha256"));

        // Both serve TLS 1.2 (ECDHE-ECDSA) and 1.3.
        for (const ImportResult *r : {&ec, &ed}) {
            auto server = serve(store, r->id);
            const Run tls12 = sClient(server->serverPort(), {"-tls1_2"});
            QVERIFY2(tls12.exitCode == 0, tls12.out.constData());
            QVERIFY(QTest::qWaitFor([&] { return server->encrypted; }, 5000));
            QCOMPARE(server->cipher, QStringLiteral("ECDHE-ECDSA-AES128-GCM-SHA256"));
            auto server13 = serve(store, r->id);
            const Run tls13 = sClient(server13->serverPort(), {"-tls1_3"});
            QVERIFY2(tls13.exitCode == 0, tls13.out.constData());
            QVERIFY(QTest::qWaitFor([&] { return server13->encrypted; }, 5000));
            QCOMPARE(server13->protocol, QSsl::TlsV1_3);
        }
        QVERIFY(store.remove(ec.id));
        QVERIFY(store.remove(ed.id));
    }

    void generateSelfSigned_data()
    {
        QTest::addColumn<KeyType>("type");
        QTest::addColumn<QString>("keyType");
        QTest::addColumn<int>("bits");
        QTest::addColumn<QString>("signature");
        QTest::newRow("RSA-2048") << KeyType::Rsa2048 << "RSA" << 2048 << "sha256WithRSAEncryption";
        QTest::newRow("RSA-3072") << KeyType::Rsa3072 << "RSA" << 3072 << "sha256WithRSAEncryption";
        QTest::newRow("ECDSA P-256") << KeyType::EcdsaP256 << "ECDSA P-256" << 256 << "ecdsa-with-SHA256";
    }
    void generateSelfSigned()
    {
        QFETCH(KeyType, type);
        QFETCH(QString, keyType);
        QFETCH(int, bits);
        QFETCH(QString, signature);
        CertificateStore store(m_folder);
        QVERIFY(store.open(nullptr));
        const ImportResult r = store.generateSelfSigned(QStringLiteral("relay.example.test"),
                                                        {"smtp.example.test", " 127.0.0.1 ", "::1"}, type, 365, {});
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.info.subject, QStringLiteral("CN=relay.example.test"));
        QCOMPARE(r.info.sans, (QStringList{"relay.example.test", "smtp.example.test", "127.0.0.1", "::1"}));
        QCOMPARE(r.info.keyType, keyType);
        QCOMPARE(r.info.keyBits, bits);
        QVERIFY(r.info.selfSigned);
        QCOMPARE(r.info.source, QStringLiteral("self-signed"));
        const int days = r.info.daysLeft(QDateTime::currentDateTimeUtc());
        QVERIFY(days == 364 || days == 365); // 365 only within the second it was made
        QCOMPARE(fileMode(m_folder + QLatin1Char('/') + r.id + QStringLiteral(".key.pem")), 0600);

        const QString crt = m_folder + QLatin1Char('/') + r.id + QStringLiteral(".crt.pem");
        const Run text = openssl({"x509", "-in", crt, "-noout", "-text"});
        QCOMPARE(text.exitCode, 0);
        const QString t = QString::fromLatin1(text.out);
        QVERIFY(t.contains(QLatin1String("Signature Algorithm: ") + signature));
        QVERIFY(t.contains(QLatin1String("CA:FALSE")));
        QVERIFY(t.contains(QLatin1String("TLS Web Server Authentication")));
        QVERIFY(t.contains(type == KeyType::EcdsaP256 ? QLatin1String("critical\n                Digital Signature\n")
                                                      : QLatin1String("Digital Signature, Key Encipherment")));
        QVERIFY(t.contains(QLatin1String("DNS:relay.example.test, DNS:smtp.example.test, IP Address:127.0.0.1, "
                                         "IP Address:0:0:0:0:0:0:0:1")));
        QCOMPARE(r.info.sha256Fingerprint, fingerprint(crt, "sha256"));
        const Run serial = openssl({"x509", "-in", crt, "-noout", "-serial"});
        QVERIFY(serial.out.trimmed().size() >= QByteArray("serial=").size() + 30); // ~128 random bits

        // The CA:FALSE certificate verifies against itself as the trust anchor in Qt.
        auto server = serve(store, r.id);
        QSslSocket client;
        QSslConfiguration cc = QSslConfiguration::defaultConfiguration();
        cc.setCaCertificates(QSslCertificate::fromPath(crt));
        client.setSslConfiguration(cc);
        client.setPeerVerifyName(QStringLiteral("smtp.example.test"));
        QList<QSslError> errors;
        connect(&client, &QSslSocket::sslErrors, this, [&](const QList<QSslError> &e) { errors = e; });
        client.connectToHostEncrypted(QStringLiteral("127.0.0.1"), server->serverPort());
        QVERIFY(QTest::qWaitFor([&] { return client.isEncrypted() || !errors.isEmpty(); }, 10000));
        QVERIFY2(errors.isEmpty(), qPrintable(errors.value(0).errorString()));
        QVERIFY(store.remove(r.id));
    }

    void generateSelfSignedRejectsBadInput()
    {
        CertificateStore store(m_folder);
        QVERIFY(store.open(nullptr));
        ImportResult r = store.generateSelfSigned(QStringLiteral("ok.example"), {"bad name!"}, KeyType::EcdsaP256, 30, {});
        QCOMPARE(r.error, QStringLiteral("\"bad name!\" is not a host name or IP address"));
        r = store.generateSelfSigned(QStringLiteral("ok.example"), {}, KeyType::EcdsaP256, 0, {});
        QCOMPARE(r.error, QStringLiteral("the validity must be 1 to 3650 days"));
        r = store.generateSelfSigned({}, {}, KeyType::EcdsaP256, 30, {});
        QCOMPARE(r.error, QStringLiteral("the common name must be 1 to 64 characters"));
        QCOMPARE(fileCount(), 0);
    }

    void csrThenSignedCertificate()
    {
        CertificateStore store(m_folder);
        QVERIFY(store.open(nullptr));
        const CsrResult csr = store.createCsr(QStringLiteral("csr.example.test"), {"mx.example.test"},
                                              KeyType::Rsa2048, QStringLiteral("From CA"));
        QVERIFY2(csr.ok, qPrintable(csr.error));
        QVERIFY(csr.csrPem.startsWith("-----BEGIN CERTIFICATE REQUEST-----"));
        QVERIFY(store.list().isEmpty());
        QCOMPARE(store.pendingRequests().size(), 1);
        QCOMPARE(store.pendingRequests().first().id, csr.id);
        QCOMPARE(store.pendingRequests().first().csrPem, csr.csrPem);
        QVERIFY(!store.serverConfiguration(csr.id, nullptr));
        QCOMPARE(fileMode(m_folder + QLatin1Char('/') + csr.id + QStringLiteral(".key.pem")), 0600);

        write("pending.csr", csr.csrPem);
        const Run text = openssl({"req", "-in", "pending.csr", "-noout", "-verify", "-text"});
        QCOMPARE(text.exitCode, 0);
        QVERIFY(text.out.contains("Subject: CN = csr.example.test"));
        QVERIFY(text.out.contains("DNS:csr.example.test, DNS:mx.example.test"));
        QVERIFY(text.out.contains("TLS Web Server Authentication"));
        QVERIFY(ok({"x509", "-req", "-in", "pending.csr", "-CA", "int.crt", "-CAkey", "int.key", "-CAcreateserial",
                    "-days", "200", "-sha256", "-copy_extensions", "copy", "-out", "pending.crt"}));

        // Another certificate for this request is refused and changes nothing.
        const int before = fileCount();
        ImportResult r = store.importSignedCertificate(csr.id, read("leaf.crt") + read("int.crt"));
        QCOMPARE(r.error, QStringLiteral("the certificate's public key does not match the key of this signing request"));
        QCOMPARE(fileCount(), before);
        QCOMPARE(store.pendingRequests().size(), 1);

        r = store.importSignedCertificate(csr.id, read("pending.crt") + read("int.crt"));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.id, csr.id);
        QCOMPARE(r.info.name, QStringLiteral("From CA"));
        QCOMPARE(r.info.sans, (QStringList{"csr.example.test", "mx.example.test"}));
        QCOMPARE(r.info.issuer, QStringLiteral("CN=RelayDesk Test Intermediate"));
        QCOMPARE(r.info.chainLength, 2);
        QVERIFY(store.pendingRequests().isEmpty());
        QCOMPARE(store.list().size(), 1);
        QVERIFY(!QFile::exists(m_folder + QLatin1Char('/') + csr.id + QStringLiteral(".csr.pem")));
        QVERIFY(store.serverConfiguration(csr.id, nullptr));
        QVERIFY(store.remove(csr.id));
        QCOMPARE(fileCount(), 0);
    }

    void openRemovesLeftovers()
    {
        CertificateStore store(m_folder);
        QVERIFY(store.open(nullptr));
        const ImportResult r = store.importPem(read("ec.crt"), read("ec.key"), {}, {});
        QVERIFY(r.ok);
        for (const QString &name : {QStringLiteral("abcdefghjkmn.key.pem"), QStringLiteral("abcdefghjkmn.crt.pem"),
                                    r.id + QStringLiteral(".json.tmp"), QStringLiteral("README")}) {
            QFile f(m_folder + QLatin1Char('/') + name);
            QVERIFY(f.open(QIODevice::WriteOnly));
            if (name != QLatin1String("README")) // an hour old: an interrupted import, not a running one
                QVERIFY(f.setFileTime(QDateTime::currentDateTime().addSecs(-3600), QFileDevice::FileModificationTime));
        }
        QFile young(m_folder + QStringLiteral("/bcdefghjkmnp.key.pem")); // maybe another process's import
        QVERIFY(young.open(QIODevice::WriteOnly));
        young.close();
        CertificateStore reopened(m_folder);
        QVERIFY(reopened.open(nullptr));
        // r's three files, README (not ours) and the young key.
        QCOMPARE(QDir(m_folder).entryList(QDir::Files).size(), 5);
        QVERIFY(young.exists());
        QVERIFY(reopened.info(r.id));
        QVERIFY(reopened.remove(r.id));
        QVERIFY(QFile::remove(m_folder + QStringLiteral("/README")));
        QVERIFY(young.remove());
    }

    void serverConfigurationHandshakes()
    {
        CertificateStore store(m_folder);
        QVERIFY(store.open(nullptr));
        const ImportResult r = store.importPem(read("leaf.crt") + read("int.crt"), read("leaf.key"), {}, {});
        QVERIFY2(r.ok, qPrintable(r.error));
        QString error;
        const std::optional<QSslConfiguration> config = store.serverConfiguration(r.id, &error);
        QVERIFY2(config, qPrintable(error));
        QCOMPARE(config->protocol(), QSsl::TlsV1_2OrLater);
        QCOMPARE(config->peerVerifyMode(), QSslSocket::VerifyNone);
        QVERIFY(!config->testSslOption(QSsl::SslOptionDisableServerCipherPreference));
        QVERIFY(config->testSslOption(QSsl::SslOptionDisableLegacyRenegotiation));
        QCOMPARE(config->localCertificateChain().size(), 2);
        QVERIFY(!store.serverConfiguration(QStringLiteral("0123456789ab"), &error));
        QCOMPARE(error, QStringLiteral("no certificate with id \"0123456789ab\""));

        struct Case {
            QStringList args;
            bool accepted;
            QString protocol, cipher;
        };
        const QList<Case> cases = {
            {{"-tls1_2"}, true, "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"},
            {{"-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305"}, true, "TLSv1.2", "ECDHE-RSA-CHACHA20-POLY1305"},
            // Server preference: the client's first choice loses to the server's.
            {{"-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256"}, true, "TLSv1.2",
             "ECDHE-RSA-AES128-GCM-SHA256"},
            {{"-tls1_3"}, true, "TLSv1.3", "TLS_AES_256_GCM_SHA384"},
            {{"-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"}, true, "TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256"},
            // The client really offers the old versions (SECLEVEL=0); the server refuses them.
            {{"-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"}, false, {}, {}},
            {{"-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"}, false, {}, {}},
            // Static RSA key exchange and CBC suites are not offered.
            {{"-tls1_2", "-cipher", "AES128-GCM-SHA256"}, false, {}, {}},
            {{"-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA"}, false, {}, {}},
        };
        for (const Case &c : cases) {
            auto server = serve(store, r.id);
            const Run run = sClient(server->serverPort(), c.args);
            const QString what = c.args.join(QLatin1Char(' ')) + QLatin1Char('\n') + QString::fromLatin1(run.out);
            if (!c.accepted) {
                QVERIFY2(run.exitCode != 0, qPrintable(what));
                QVERIFY2(run.out.contains("alert protocol version") || run.out.contains("alert handshake failure"),
                         qPrintable(what));
                // The server saw the hello and refused it.
                QVERIFY2(QTest::qWaitFor([&] { return !server->errors.isEmpty(); }, 5000), qPrintable(what));
                QVERIFY(!server->encrypted);
                if (qEnvironmentVariableIsSet("TST_VERBOSE_TLS"))
                    qInfo("%s\nserver: %s", qPrintable(what), qPrintable(server->errors.join(QLatin1Char('|'))));
                continue;
            }
            QVERIFY2(run.exitCode == 0, qPrintable(what));
            QVERIFY2(run.out.contains(("Protocol version: " + c.protocol).toLatin1()), qPrintable(what));
            QVERIFY2(run.out.contains(("Ciphersuite: " + c.cipher).toLatin1()), qPrintable(what));
            QVERIFY(QTest::qWaitFor([&] { return server->encrypted; }, 5000));
            QCOMPARE(protocolName(server->protocol), c.protocol);
            QCOMPARE(server->cipher, c.cipher);
        }

        // A verifying Qt client that trusts only the root: the server sends the
        // intermediate, and the SAN matches.
        auto server = serve(store, r.id);
        QSslSocket client;
        QSslConfiguration cc = QSslConfiguration::defaultConfiguration();
        cc.setCaCertificates(QSslCertificate::fromPath(file("root.crt")));
        cc.setProtocol(QSsl::TlsV1_2OrLater);
        client.setSslConfiguration(cc);
        client.setPeerVerifyName(QStringLiteral("smtp.example.test"));
        QList<QSslError> errors;
        connect(&client, &QSslSocket::sslErrors, this, [&](const QList<QSslError> &e) { errors = e; });
        client.connectToHostEncrypted(QStringLiteral("127.0.0.1"), server->serverPort());
        QVERIFY(QTest::qWaitFor([&] { return client.isEncrypted() || !errors.isEmpty(); }, 10000));
        QVERIFY2(errors.isEmpty(), qPrintable(errors.value(0).errorString()));
        QCOMPARE(client.sessionProtocol(), QSsl::TlsV1_3);
        QCOMPARE(client.peerCertificateChain().size(), 2); // the leaf and the intermediate it was sent
        QVERIFY(QTest::qWaitFor([&] { return client.canReadLine(); }, 5000));
        QCOMPARE(client.readLine(), QByteArray("220 ready\r\n"));
        QVERIFY(store.remove(r.id));
    }
};

QTEST_GUILESS_MAIN(TestCertificateStore)
#include "tst_certificatestore.moc"
