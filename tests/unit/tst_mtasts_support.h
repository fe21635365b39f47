#pragma once
// Test support for the outbound TLS tests (MTA-STS, DANE): certificates made
// by the openssl command line (an independent tool) and a small SMTP server
// with STARTTLS on 127.0.0.1 that counts what it receives. Test code only.

#include "dns/resolver.h"

#include <QDir>
#include <QHash>
#include <QFile>
#include <QProcess>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslSocket>
#include <QTcpServer>
#include <QTest>

namespace outtls {

// Runs openssl with `args` in `dir`; fails the test on error.
inline bool openssl(const QString &dir, const QStringList &args, QByteArray *out = nullptr)
{
    QProcess p;
    p.setWorkingDirectory(dir);
    p.start(QStringLiteral("/usr/bin/openssl"), args);
    if (!p.waitForFinished(30000) || p.exitCode() != 0) {
        qWarning("openssl %s failed: %s", qPrintable(args.join(u' ')), p.readAllStandardError().constData());
        return false;
    }
    if (out)
        *out = p.readAllStandardOutput();
    return true;
}

// A CA: <name>.key, <name>.pem in `dir`.
inline bool makeCa(const QString &dir, const QString &name)
{
    return openssl(dir, {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                         QStringLiteral("ec"), QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:P-256"),
                         QStringLiteral("-nodes"), QStringLiteral("-keyout"), name + QStringLiteral(".key"),
                         QStringLiteral("-out"), name + QStringLiteral(".pem"), QStringLiteral("-days"),
                         QStringLiteral("30"), QStringLiteral("-subj"), QStringLiteral("/CN=") + name,
                         QStringLiteral("-addext"), QStringLiteral("basicConstraints=critical,CA:TRUE"),
                         QStringLiteral("-addext"), QStringLiteral("keyUsage=critical,keyCertSign,cRLSign")});
}

// A server certificate for `dnsNames` (comma-separated): <name>.key,
// <name>.pem; signed by the CA `ca` (files ca.key/ca.pem) or self-signed when
// ca is empty.
inline bool makeLeaf(const QString &dir, const QString &name, const QString &dnsNames, const QString &ca,
                     int days = 30)
{
    const QString key = name + QStringLiteral(".key");
    const QString csr = name + QStringLiteral(".csr");
    const QString pem = name + QStringLiteral(".pem");
    const QString ext = name + QStringLiteral(".ext");
    QStringList sans;
    for (const QString &n : dnsNames.split(u','))
        sans << QStringLiteral("DNS:") + n;
    QFile e(QDir(dir).filePath(ext));
    if (!e.open(QIODevice::WriteOnly))
        return false;
    e.write("subjectAltName=" + sans.join(u',').toLatin1() + "\nbasicConstraints=CA:FALSE\n"
            "extendedKeyUsage=serverAuth\n");
    e.close();
    if (!openssl(dir, {QStringLiteral("req"), QStringLiteral("-newkey"), QStringLiteral("ec"),
                       QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:P-256"), QStringLiteral("-nodes"),
                       QStringLiteral("-keyout"), key, QStringLiteral("-out"), csr, QStringLiteral("-subj"),
                       QStringLiteral("/CN=") + dnsNames.section(u',', 0, 0)}))
        return false;
    QStringList args{QStringLiteral("x509"), QStringLiteral("-req"), QStringLiteral("-in"), csr,
                     QStringLiteral("-out"), pem, QStringLiteral("-extfile"), ext,
                     QStringLiteral("-days"), QString::number(days)};
    if (ca.isEmpty())
        args << QStringLiteral("-signkey") << key;
    else
        args << QStringLiteral("-CA") << ca + QStringLiteral(".pem") << QStringLiteral("-CAkey")
             << ca + QStringLiteral(".key") << QStringLiteral("-CAcreateserial");
    return openssl(dir, args);
}

inline QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// A tiny SMTP server on 127.0.0.1: greeting, EHLO (with STARTTLS when a
// certificate is set and startTls is true), MAIL, RCPT, DATA, QUIT. Counts
// MAIL commands and messages. One connection at a time is enough here.
class SmtpServer : public QTcpServer {
public:
    QSslCertificate cert;
    QList<QSslCertificate> chain; // extra certificates sent after `cert`
    QSslKey key;
    bool startTls = true;
    int mailCommands = 0;
    int messages = 0;
    int tlsSessions = 0;

    bool listenLocal() { return listen(QHostAddress::LocalHost, 0); }

    bool loadIdentity(const QString &certPem, const QString &keyPem, const QStringList &chainPems = {})
    {
        cert = QSslCertificate(readFile(certPem), QSsl::Pem);
        key = QSslKey(readFile(keyPem), QSsl::Ec, QSsl::Pem);
        chain.clear();
        for (const QString &c : chainPems)
            chain << QSslCertificate(readFile(c), QSsl::Pem);
        return !cert.isNull() && !key.isNull();
    }

protected:
    void incomingConnection(qintptr fd) override
    {
        auto *s = new QSslSocket(this);
        s->setSocketDescriptor(fd);
        auto buf = std::make_shared<QByteArray>();
        auto inData = std::make_shared<bool>(false);
        connect(s, &QSslSocket::encrypted, this, [this] { ++tlsSessions; });
        connect(s, &QSslSocket::disconnected, s, &QObject::deleteLater);
        connect(s, &QIODevice::readyRead, this, [this, s, buf, inData] {
            buf->append(s->readAll());
            for (;;) {
                const qsizetype nl = buf->indexOf("\r\n");
                if (nl < 0)
                    return;
                const QByteArray line = buf->left(nl);
                buf->remove(0, nl + 2);
                if (*inData) {
                    if (line == ".") {
                        *inData = false;
                        ++messages;
                        s->write("250 2.0.0 queued\r\n");
                    }
                    continue;
                }
                const QByteArray verb = line.left(4).toUpper();
                if (verb == "EHLO") {
                    const bool offer = startTls && !cert.isNull() && !s->isEncrypted();
                    s->write(offer ? "250-mx.test\r\n250-8BITMIME\r\n250 STARTTLS\r\n" : "250-mx.test\r\n250 8BITMIME\r\n");
                } else if (verb == "HELO") {
                    s->write("250 mx.test\r\n");
                } else if (verb == "STAR") {
                    s->write("220 2.0.0 go ahead\r\n");
                    s->setLocalCertificate(cert);
                    s->setPrivateKey(key);
                    if (!chain.isEmpty()) {
                        QSslConfiguration c = s->sslConfiguration();
                        c.setLocalCertificateChain(QList<QSslCertificate>{cert} + chain);
                        c.setPrivateKey(key);
                        s->setSslConfiguration(c);
                    }
                    buf->clear();
                    s->startServerEncryption();
                } else if (verb == "MAIL") {
                    ++mailCommands;
                    s->write("250 2.1.0 ok\r\n");
                } else if (verb == "RCPT") {
                    s->write("250 2.1.5 ok\r\n");
                } else if (verb == "DATA") {
                    *inData = true;
                    s->write("354 go\r\n");
                } else if (verb == "QUIT") {
                    s->write("221 bye\r\n");
                    s->disconnectFromHost();
                } else if (verb == "RSET" || verb == "NOOP") {
                    s->write("250 ok\r\n");
                } else {
                    s->write("502 5.5.2 unknown\r\n");
                }
            }
        });
        s->write("220 mx.test ESMTP test\r\n");
    }
};

// An in-memory zone: answers set per (name, type); anything else is NxDomain.
class FakeResolver : public rd::dns::Resolver {
public:
    QHash<QString, rd::dns::Answer> answers; // key: lower-case name + "/" + type name
    int queries = 0;

    static QString key(const QString &name, rd::dns::RecordType type)
    {
        return name.toLower() + u'/' + rd::dns::recordTypeName(type);
    }
    void set(const QString &name, rd::dns::RecordType type, rd::dns::Answer a)
    {
        a.name = name;
        a.type = type;
        a.canonicalName = name;
        answers.insert(key(name, type), a);
    }
    void setTxt(const QString &name, const QList<QByteArray> &texts)
    {
        rd::dns::Answer a;
        a.status = rd::dns::Status::Ok;
        for (const QByteArray &t : texts)
            a.txt << rd::dns::TxtRecord{{t}, 300};
        set(name, rd::dns::RecordType::TXT, a);
    }
    void setA(const QString &name, const QString &ip, bool ad = false)
    {
        rd::dns::Answer a;
        a.status = rd::dns::Status::Ok;
        a.addresses << rd::dns::AddressRecord{QHostAddress(ip), 300};
        a.authenticated = ad;
        set(name, rd::dns::RecordType::A, a);
        rd::dns::Answer none;
        none.status = rd::dns::Status::NoData;
        none.authenticated = ad;
        set(name, rd::dns::RecordType::AAAA, none);
    }
    void setMx(const QString &domain, const QStringList &hosts, bool ad = false)
    {
        rd::dns::Answer a;
        a.status = rd::dns::Status::Ok;
        a.authenticated = ad;
        quint16 pref = 10;
        for (const QString &h : hosts)
            a.mx << rd::dns::MxRecord{pref++, h, 300};
        set(domain, rd::dns::RecordType::MX, a);
    }
    void setStatus(const QString &name, rd::dns::RecordType type, rd::dns::Status st)
    {
        rd::dns::Answer a;
        a.status = st;
        set(name, type, a);
    }

protected:
    void startLookup(rd::dns::RequestId id, const QString &name, rd::dns::RecordType type) override
    {
        ++queries;
        auto it = answers.constFind(key(name, type));
        rd::dns::Answer a;
        if (it != answers.constEnd()) {
            a = *it;
        } else {
            a.name = name;
            a.type = type;
            a.status = rd::dns::Status::NxDomain;
        }
        finishLater(id, a);
    }
    void cancelLookup(rd::dns::RequestId) override {}
};

} // namespace outtls
