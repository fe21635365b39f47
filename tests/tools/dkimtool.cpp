// rd-dkimtool: DKIM from the command line, for tests/integration/test_dkim.py
// (cross-checks against dkimpy) and for people trying keys by hand.
//
//   rd-dkimtool sign --key key.pem --domain d --selector s [--canon relaxed|simple|H/B]
//                    [--timestamp T] [--expire S] [--identity I] [--headers a:b:c]
//                    [--min-rsa-bits N] < message > signed
//   rd-dkimtool verify --dns 127.0.0.1:5353[,...] [--timeout-ms N] < message
//        one line per signature: "<result> <domain> <selector> <reason>"; exit 0 if any passes
//   rd-dkimtool genkey --algorithm rsa-sha256|ed25519-sha256 [--bits N] --out key.pem
//        writes the private key (owner-only), prints the DNS TXT value
//   rd-dkimtool record --key key.pem
//        prints the DNS TXT value of a private key
//
// Messages may come with LF line ends; they are turned into CRLF first.
// Exit codes: 0 success/pass, 1 no pass, 2 usage or input error.

#include "dns/caresresolver.h"
#include "mailauth/dkimkey.h"
#include "mailauth/dkimsigner.h"
#include "mailauth/dkimverifier.h"

#include <QCoreApplication>
#include <QFile>
#include <QHash>
#include <QTimer>

#include <cstdio>

using namespace rd;
using namespace rd::mailauth;

namespace {

int usage(const QString &why)
{
    std::fprintf(stderr, "rd-dkimtool: %s\n", qPrintable(why));
    std::fprintf(stderr,
                 "usage: rd-dkimtool sign --key K --domain D --selector S [--canon C] [--timestamp T]\n"
                 "                         [--expire S] [--identity I] [--headers a:b] [--min-rsa-bits N]\n"
                 "       rd-dkimtool verify --dns IP[:PORT][,...] [--timeout-ms N]\n"
                 "       rd-dkimtool genkey --algorithm rsa-sha256|ed25519-sha256 [--bits N] --out FILE\n"
                 "       rd-dkimtool record --key K\n");
    return 2;
}

QByteArray readStdin()
{
    QFile in;
    if (!in.open(stdin, QIODevice::ReadOnly))
        return {};
    return in.readAll();
}

void writeStdout(const QByteArray &data)
{
    std::fwrite(data.constData(), 1, size_t(data.size()), stdout);
    std::fflush(stdout);
}

// LF or mixed line ends -> CRLF.
QByteArray toCrlf(QByteArray s)
{
    s.replace("\r\n", "\n");
    s.replace("\n", "\r\n");
    return s;
}

std::optional<DkimKey> loadKey(const QString &path, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read %1: %2").arg(path, f.errorString());
        return std::nullopt;
    }
    return DkimKey::fromPem(f.readAll(), error);
}

int sign(const QHash<QString, QString> &args)
{
    if (!args.contains(QStringLiteral("key")) || !args.contains(QStringLiteral("domain"))
        || !args.contains(QStringLiteral("selector")))
        return usage(QStringLiteral("sign needs --key, --domain and --selector"));
    QString error;
    const auto key = loadKey(args.value(QStringLiteral("key")), &error);
    if (!key)
        return usage(error);
    DkimSignOptions opt;
    opt.domain = args.value(QStringLiteral("domain"));
    opt.selector = args.value(QStringLiteral("selector"));
    const QString canon = args.value(QStringLiteral("canon"), QStringLiteral("relaxed"));
    const QStringList parts = canon.split(QLatin1Char('/'));
    auto relaxed = [](const QString &w) -> std::optional<bool> {
        if (w == QLatin1String("relaxed"))
            return true;
        if (w == QLatin1String("simple"))
            return false;
        return std::nullopt;
    };
    const auto h = relaxed(parts.value(0));
    const auto b = relaxed(parts.value(parts.size() > 1 ? 1 : 0));
    if (!h || !b || parts.size() > 2)
        return usage(QStringLiteral("--canon: relaxed, simple or header/body"));
    opt.relaxedHeaders = *h;
    opt.relaxedBody = *b;
    opt.timestamp = args.value(QStringLiteral("timestamp"), QStringLiteral("-1")).toLongLong();
    opt.expireAfterS = args.value(QStringLiteral("expire"), QStringLiteral("0")).toLongLong();
    opt.identity = args.value(QStringLiteral("identity"));
    if (args.contains(QStringLiteral("headers")))
        opt.headers = args.value(QStringLiteral("headers")).toLatin1().split(':');
    if (args.contains(QStringLiteral("min-rsa-bits")))
        opt.minRsaBits = args.value(QStringLiteral("min-rsa-bits")).toInt();
    const QByteArray message = toCrlf(readStdin());
    const QByteArray field = dkimSign(message, *key, opt, &error);
    if (field.isEmpty()) {
        std::fprintf(stderr, "rd-dkimtool: %s\n", qPrintable(error));
        return 2;
    }
    writeStdout(field + message);
    return 0;
}

int verify(const QHash<QString, QString> &args)
{
    if (!args.contains(QStringLiteral("dns")))
        return usage(QStringLiteral("verify needs --dns"));
    dns::ResolverConfig config;
    config.servers = args.value(QStringLiteral("dns")).split(QLatin1Char(','), Qt::SkipEmptyParts);
    config.timeoutMs = 2000;
    dns::CaresResolver resolver(config);
    if (!resolver.isValid())
        return usage(QStringLiteral("resolver: %1").arg(resolver.errorString()));
    DkimVerifier verifier(&resolver);
    if (args.contains(QStringLiteral("timeout-ms")))
        verifier.setTimeLimitMs(args.value(QStringLiteral("timeout-ms")).toInt());
    const QByteArray message = toCrlf(readStdin());
    int exitCode = 1;
    verifier.verify(message, nullptr, [&](const QList<DkimSignatureResult> &results) {
        if (results.isEmpty())
            writeStdout("none - - no signature\n");
        for (const DkimSignatureResult &r : results) {
            const QString line = QStringLiteral("%1 %2 %3 %4\n")
                                     .arg(dkimResultName(r.result), r.domain.isEmpty() ? QStringLiteral("-") : r.domain,
                                          r.selector.isEmpty() ? QStringLiteral("-") : r.selector,
                                          r.reason.isEmpty() ? QStringLiteral("-") : r.reason);
            writeStdout(line.toUtf8());
            if (r.result == DkimResult::Pass)
                exitCode = 0;
        }
        QCoreApplication::exit(exitCode);
    });
    QCoreApplication::exec();
    return exitCode;
}

int genkey(const QHash<QString, QString> &args)
{
    if (!args.contains(QStringLiteral("out")))
        return usage(QStringLiteral("genkey needs --out"));
    QString error;
    const auto key = DkimKey::generate(args.value(QStringLiteral("algorithm"), QStringLiteral("rsa-sha256")),
                                       args.value(QStringLiteral("bits"), QStringLiteral("0")).toInt(), &error);
    if (!key)
        return usage(error);
    QFile out(args.value(QStringLiteral("out")));
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate)
        || !out.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner)
        || out.write(key->privateKeyPem()) != key->privateKeyPem().size() || !out.flush())
        return usage(QStringLiteral("cannot write %1: %2").arg(out.fileName(), out.errorString()));
    writeStdout(key->dnsRecord().toLatin1() + "\n");
    return 0;
}

int record(const QHash<QString, QString> &args)
{
    QString error;
    const auto key = loadKey(args.value(QStringLiteral("key")), &error);
    if (!key)
        return usage(error);
    writeStdout(key->dnsRecord().toLatin1() + "\n");
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList argList = app.arguments();
    if (argList.size() < 2)
        return usage(QStringLiteral("no command"));
    const QString command = argList[1];
    QHash<QString, QString> args;
    for (int i = 2; i < argList.size(); ++i) {
        const QString a = argList[i];
        if (!a.startsWith(QLatin1String("--")) || i + 1 >= argList.size())
            return usage(QStringLiteral("bad argument '%1'").arg(a));
        args.insert(a.mid(2), argList[++i]);
    }
    if (command == QLatin1String("sign"))
        return sign(args);
    if (command == QLatin1String("verify"))
        return verify(args);
    if (command == QLatin1String("genkey"))
        return genkey(args);
    if (command == QLatin1String("record"))
        return record(args);
    return usage(QStringLiteral("unknown command '%1'").arg(command));
}
