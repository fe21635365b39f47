#include "app/admin.h"

#include "auth/userstore.h"
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
const QCommandLineOption kKey(QStringLiteral("key"), QStringLiteral("With --import-pem: the private key file."),
                              QStringLiteral("FILE"));
const QCommandLineOption kGenerate(QStringLiteral("generate-certificate"),
                                   QStringLiteral("Create a self-signed certificate (ECDSA P-256) for NAME; "
                                                  "prints its id."),
                                   QStringLiteral("NAME"));
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
    return {kAddUser, kSetPassword, kRemoveUser, kNoRelay, kListUsers, kImportPfx, kImportPem, kKey, kGenerate, kListCerts};
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
    if (parser.isSet(kImportPfx) || parser.isSet(kImportPem) || parser.isSet(kGenerate) || parser.isSet(kListCerts)) {
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
    return std::nullopt;
}

} // namespace rd::app
