#include "app/admin.h"

#include "auth/userstore.h"
#include "config/dkimkeystore.h"
#include "tls/certificatestore.h"

#include <QFile>
#include <QFileInfo>
#include <QTextStream>

#include <cstdio>

namespace rd::app {
namespace {

const QCommandLineOption kAddUser(QStringLiteral("add-user"),
                                  QStringLiteral("Add an SMTP AUTH user (password read from standard input)."),
                                  QStringLiteral("NAME"));
const QCommandLineOption kSetPassword(QStringLiteral("set-password"),
                                      QStringLiteral("Set a user's password (read from standard input)."),
                                      QStringLiteral("NAME"));
const QCommandLineOption kRemoveUser(QStringLiteral("remove-user"), QStringLiteral("Remove an SMTP AUTH user."),
                                     QStringLiteral("NAME"));
const QCommandLineOption kNoRelay(QStringLiteral("no-relay"),
                                  QStringLiteral("With --add-user: the user may not relay to other domains."));
const QCommandLineOption kListUsers(QStringLiteral("list-users"), QStringLiteral("List the SMTP AUTH users."));
const QCommandLineOption kImportPfx(QStringLiteral("import-pfx"),
                                   QStringLiteral("Import a PKCS#12/PFX certificate (password from standard input); "
                                                  "prints its id."),
                                   QStringLiteral("FILE"));
const QCommandLineOption kImportPem(QStringLiteral("import-pem"),
                                   QStringLiteral("Import a PEM certificate with its chain (and key, or see --key); "
                                                  "prints its id."),
                                   QStringLiteral("FILE"));
const QCommandLineOption kLinkPem(QStringLiteral("link-pem"),
                                 QStringLiteral("Use a PEM certificate file in place (with --key, or the key in the "
                                                "same file): reloaded when it changes, as certbot renews it; prints "
                                                "its id."),
                                 QStringLiteral("FILE"));
const QCommandLineOption kLinkPfx(QStringLiteral("link-pfx"),
                                  QStringLiteral("Use a PKCS#12/PFX file in place (password from standard input): "
                                                 "reloaded when it changes, as win-acme renews it; prints its id."),
                                  QStringLiteral("FILE"));
const QCommandLineOption kKey(QStringLiteral("key"), QStringLiteral("With --import-pem or --link-pem: the private key file."),
                              QStringLiteral("FILE"));
const QCommandLineOption kGenerate(QStringLiteral("generate-certificate"),
                                   QStringLiteral("Create a self-signed certificate (ECDSA P-256) for NAME; "
                                                  "prints its id."),
                                   QStringLiteral("NAME"));
const QCommandLineOption kDkimGenerate(
    QStringLiteral("dkim-generate"),
    QStringLiteral("Generate a DKIM signing key for DOMAIN (with --selector, --algorithm); prints the DNS record."),
    QStringLiteral("DOMAIN"));
const QCommandLineOption kDkimImport(QStringLiteral("dkim-import"),
                                     QStringLiteral("Import a DKIM private key (PEM FILE) for --domain and --selector."),
                                     QStringLiteral("FILE"));
const QCommandLineOption kDkimRemove(QStringLiteral("dkim-remove"),
                                     QStringLiteral("Remove the DKIM key of DOMAIN with --selector."),
                                     QStringLiteral("DOMAIN"));
const QCommandLineOption kDkimList(QStringLiteral("dkim-list"),
                                   QStringLiteral("List the DKIM keys with the DNS record of each."));
const QCommandLineOption kSelector(QStringLiteral("selector"), QStringLiteral("DKIM selector."),
                                   QStringLiteral("SELECTOR"));
const QCommandLineOption kDomain(QStringLiteral("domain"), QStringLiteral("With --dkim-import: the domain."),
                                 QStringLiteral("DOMAIN"));
const QCommandLineOption kAlgorithm(QStringLiteral("algorithm"),
                                    QStringLiteral("With --dkim-generate: rsa-sha256 (default) or ed25519-sha256."),
                                    QStringLiteral("ALGORITHM"), QStringLiteral("rsa-sha256"));
const QCommandLineOption kBits(QStringLiteral("bits"), QStringLiteral("With --dkim-generate: RSA key size (2048)."),
                               QStringLiteral("BITS"), QStringLiteral("2048"));
const QCommandLineOption kListCerts(QStringLiteral("list-certificates"),
                                    QStringLiteral("List the stored certificates."));

void out(const QString &line)
{
    std::printf("%s\n", qPrintable(line));
    std::fflush(stdout);
}

void err(const QString &line)
{
    std::fprintf(stderr, "relaydesk: %s\n", qPrintable(line));
}

QString readSecret()
{
    QTextStream in(stdin);
    QString line = in.readLine();
    while (line.endsWith(QLatin1Char('\r')))
        line.chop(1);
    return line;
}

std::optional<QByteArray> readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        err(QStringLiteral("cannot read %1: %2").arg(path, f.errorString()));
        return std::nullopt;
    }
    return f.readAll();
}

int certificateResult(const tls::ImportResult &r)
{
    if (!r.ok) {
        err(r.error);
        return 1;
    }
    for (const QString &w : r.warnings)
        err(QStringLiteral("warning: %1").arg(w));
    out(r.id);
    return 0;
}

} // namespace

QList<QCommandLineOption> adminOptions()
{
    return {kAddUser,  kSetPassword, kRemoveUser, kNoRelay,    kListUsers, kImportPfx, kImportPem,
            kLinkPem,  kLinkPfx,
            kKey,      kGenerate,    kListCerts,  kDkimGenerate, kDkimImport, kDkimRemove, kDkimList,
            kSelector, kDomain,      kAlgorithm,  kBits};
}

std::optional<int> runAdminCommand(const QCommandLineParser &parser, const QString &dataDir)
{
    if (parser.isSet(kAddUser) || parser.isSet(kSetPassword) || parser.isSet(kRemoveUser) || parser.isSet(kListUsers)) {
        auth::UserStore users(dataDir);
        if (!users.isOpen()) {
            err(users.errorString());
            return 1;
        }
        QString error;
        if (parser.isSet(kListUsers)) {
            for (const auth::UserInfo &u : users.list(&error))
                out(QStringLiteral("%1\tenabled=%2\trelay=%3").arg(u.name).arg(u.enabled).arg(u.mayRelay));
            return error.isEmpty() ? 0 : 1;
        }
        if (parser.isSet(kRemoveUser)) {
            if (!users.removeUser(parser.value(kRemoveUser), &error)) {
                err(error);
                return 1;
            }
            return 0;
        }
        const QString password = readSecret();
        const bool ok = parser.isSet(kAddUser)
                            ? users.addUser(parser.value(kAddUser), password, !parser.isSet(kNoRelay), &error)
                            : users.setPassword(parser.value(kSetPassword), password, &error);
        if (!ok) {
            err(error);
            return 2;
        }
        return 0;
    }
    if (parser.isSet(kImportPfx) || parser.isSet(kImportPem) || parser.isSet(kGenerate) || parser.isSet(kListCerts)
        || parser.isSet(kLinkPem) || parser.isSet(kLinkPfx)) {
        tls::CertificateStore store(tls::CertificateStore::defaultFolder(dataDir));
        QString error;
        if (!store.open(&error)) {
            err(error);
            return 1;
        }
        if (parser.isSet(kListCerts)) {
            for (const tls::CertificateInfo &c : store.list())
                out(QStringLiteral("%1\t%2\t%3\tuntil %4")
                        .arg(c.id, c.name, c.subject, c.notAfter.toString(Qt::ISODate)));
            return 0;
        }
        if (parser.isSet(kGenerate)) {
            const QString cn = parser.value(kGenerate);
            return certificateResult(store.generateSelfSigned(cn, {cn}, tls::KeyType::EcdsaP256, 825, cn));
        }
        if (parser.isSet(kLinkPem)) {
            const QFileInfo cert(parser.value(kLinkPem));
            const QString key = parser.isSet(kKey) ? QFileInfo(parser.value(kKey)).absoluteFilePath() : QString();
            return certificateResult(store.linkPem(cert.absoluteFilePath(), key, cert.completeBaseName()));
        }
        if (parser.isSet(kLinkPfx)) {
            const QFileInfo pfx(parser.value(kLinkPfx));
            const QString password = readSecret();
            return certificateResult(store.linkPkcs12(pfx.absoluteFilePath(), password, pfx.completeBaseName()));
        }
        if (parser.isSet(kImportPfx)) {
            const auto pfx = readFile(parser.value(kImportPfx));
            if (!pfx)
                return 1;
            const QString password = readSecret();
            return certificateResult(
                store.importPkcs12(*pfx, password, QFileInfo(parser.value(kImportPfx)).completeBaseName()));
        }
        const auto pem = readFile(parser.value(kImportPem));
        if (!pem)
            return 1;
        QByteArray key;
        if (parser.isSet(kKey)) {
            const auto k = readFile(parser.value(kKey));
            if (!k)
                return 1;
            key = *k;
        }
        return certificateResult(store.importPem(*pem, key, {}, QFileInfo(parser.value(kImportPem)).completeBaseName()));
    }
    if (parser.isSet(kDkimGenerate) || parser.isSet(kDkimImport) || parser.isSet(kDkimRemove) ||
        parser.isSet(kDkimList)) {
        config::DkimKeyStore keys(dataDir);
        if (!keys.isOpen()) {
            err(keys.errorString());
            return 1;
        }
        QString error;
        auto print = [](const config::DkimKeyInfo &k) {
            out(QStringLiteral("%1\t%2\t%3\t%4 bits\t%5\t%6 IN TXT \"%7\"")
                    .arg(k.domain, k.selector, k.algorithm)
                    .arg(k.bits)
                    .arg(k.enabled ? QStringLiteral("enabled") : QStringLiteral("disabled"), k.dnsName, k.dnsRecord));
        };
        if (parser.isSet(kDkimList)) {
            for (const config::DkimKeyInfo &k : keys.list(&error))
                print(k);
            return error.isEmpty() ? 0 : 1;
        }
        if (!parser.isSet(kSelector)) {
            err(QStringLiteral("--selector is required"));
            return 2;
        }
        const QString selector = parser.value(kSelector);
        if (parser.isSet(kDkimRemove)) {
            if (!keys.remove(parser.value(kDkimRemove), selector, &error)) {
                err(error);
                return 1;
            }
            return 0;
        }
        config::DkimKeyInfo created;
        bool ok = false;
        if (parser.isSet(kDkimGenerate)) {
            ok = keys.generate(parser.value(kDkimGenerate), selector, parser.value(kAlgorithm),
                               parser.value(kBits).toInt(), &created, &error);
        } else {
            const auto pem = readFile(parser.value(kDkimImport));
            if (!pem)
                return 1;
            ok = keys.importPem(parser.value(kDomain), selector, *pem, &created, &error);
        }
        if (!ok) {
            err(error);
            return 2;
        }
        print(created);
        return 0;
    }
    return std::nullopt;
}

} // namespace rd::app
