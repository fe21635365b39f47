#include "app/dnscheckcli.h"

#include "config/settings.h"
#include "dns/caresresolver.h"
#include "dnscheck/dnschecker.h"
#include "dnscheck/dnscheckhistory.h"

#include <QCoreApplication>
#include <QJsonDocument>

#include <cstdio>

namespace rd::app {
namespace {

const QCommandLineOption kDnsCheck(QStringLiteral("dns-check"),
                                   QStringLiteral("Run the DNS checks (SPF, DKIM, DMARC, MX, PTR, DNSBL) of DOMAIN, "
                                                  "print the report and store it."),
                                   QStringLiteral("DOMAIN"));
const QCommandLineOption kJson(QStringLiteral("json"), QStringLiteral("With --dns-check, --track or --qshape: print JSON."));

} // namespace

QList<QCommandLineOption> dnsCheckOptions()
{
    return {kDnsCheck, kJson};
}

std::optional<int> runDnsCheckCommand(const QCommandLineParser &parser, const QString &dataDir,
                                      const config::ConfigSnapshot &config)
{
    if (!parser.isSet(kDnsCheck))
        return std::nullopt;
    using namespace config::keys;
    dns::ResolverConfig rc;
    for (const QString &s : config.stringValue(kDnsServers).split(QLatin1Char(','), Qt::SkipEmptyParts))
        rc.servers << s.trimmed();
    rc.timeoutMs = int(config.intValue(kDnsTimeout));
    dns::CaresResolver resolver(rc);
    if (!resolver.isValid()) {
        std::fprintf(stderr, "relaydesk: %s\n", qPrintable(resolver.errorString()));
        return 1;
    }
    dnscheck::DnsChecker checker(&resolver, dnscheck::checkInputFor(config, dataDir, parser.value(kDnsCheck)));
    dnscheck::Report report;
    QObject::connect(&checker, &dnscheck::DnsChecker::finished, &checker, [&](const dnscheck::Report &r) {
        report = r;
        QCoreApplication::exit(0);
    });
    checker.start();
    QCoreApplication::exec();
    dnscheck::DnsCheckHistory history(dataDir);
    QString error;
    if (!history.isOpen() || !history.store(&report, &error))
        std::fprintf(stderr, "relaydesk: warning: the report was not stored: %s\n",
                     qPrintable(history.isOpen() ? error : history.errorString()));
    const QByteArray text = parser.isSet(kJson) ? QJsonDocument(report.toJson()).toJson(QJsonDocument::Indented)
                                                : report.toText().toUtf8();
    std::fwrite(text.constData(), 1, size_t(text.size()), stdout);
    std::fflush(stdout);
    return report.count(dnscheck::Status::Fail) > 0 ? 1 : 0;
}

} // namespace rd::app
