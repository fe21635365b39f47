#include "app/acmecli.h"

#include "config/settings.h"
#include "dns/caresresolver.h"
#include "engine/acmeservice.h"
#include "tls/certificatestore.h"

#include <QCoreApplication>

#include <cstdio>
#include <iostream>
#include <string>

namespace rd::app {
namespace {

const QCommandLineOption kOrder(QStringLiteral("acme-order"),
                                QStringLiteral("Order a certificate for NAMES (comma-separated) over ACME "
                                               "(acme.* settings); prints its id."),
                                QStringLiteral("NAMES"));
const QCommandLineOption kChallenge(QStringLiteral("acme-challenge"),
                                    QStringLiteral("With --acme-order: http-01 (default; needs "
                                                   "acme.http01_allowed) or dns-01 (the TXT records are "
                                                   "published by DNS UPDATE when acme.dns_update_server is "
                                                   "set, else shown for the admin)."),
                                    QStringLiteral("TYPE"));
const QCommandLineOption kAgree(QStringLiteral("acme-agree-tos"),
                                QStringLiteral("With --acme-order: agree to the ACME CA's terms of service."));

} // namespace

QList<QCommandLineOption> acmeOptions()
{
    return {kOrder, kChallenge, kAgree};
}

std::optional<int> runAcmeCommand(const QCommandLineParser &parser, const QString &dataDir,
                                  const config::ConfigSnapshot &config)
{
    if (!parser.isSet(kOrder))
        return std::nullopt;
    using namespace config::keys;
    const QString challenge = parser.isSet(kChallenge) ? parser.value(kChallenge).trimmed().toLower()
                                                       : QStringLiteral("http-01");
    if (challenge != QLatin1String("http-01") && challenge != QLatin1String("dns-01")) {
        std::fprintf(stderr, "relaydesk: --acme-challenge takes http-01 or dns-01\n");
        return 2;
    }
    tls::CertificateStore store(tls::CertificateStore::defaultFolder(dataDir));
    QString error;
    if (!store.open(&error)) {
        std::fprintf(stderr, "relaydesk: %s\n", qPrintable(error));
        return 1;
    }
    dns::ResolverConfig rc;
    for (const QString &s : config.stringValue(kDnsServers).split(QLatin1Char(','), Qt::SkipEmptyParts))
        rc.servers << s.trimmed();
    rc.timeoutMs = int(config.intValue(kDnsTimeout));
    dns::CaresResolver resolver(rc);

    engine::AcmeService acme(dataDir, &store);
    acme.configure(engine::AcmeSettings::fromConfig(config));
    acme.setResolver(&resolver);
    int rc2 = 1;
    QObject::connect(&acme, &engine::AcmeService::progress, &acme, [](const QString &t) {
        std::fprintf(stderr, "acme: %s\n", qPrintable(t));
    });
    QObject::connect(&acme, &engine::AcmeService::note, &acme,
                     [](const QString &event, const QString &message, const QString &) {
                         std::fprintf(stderr, "acme: %s: %s\n", qPrintable(event), qPrintable(message));
                     });
    QObject::connect(&acme, &engine::AcmeService::dnsRecordsNeeded, &acme,
                     [&acme](const QList<acme::DnsChallengeRecord> &records) {
                         std::printf("Publish these TXT records, then press Enter:\n");
                         for (const acme::DnsChallengeRecord &r : records)
                             std::printf("%s\n", qPrintable(r.zoneLine()));
                         std::fflush(stdout);
                         std::string line;
                         std::getline(std::cin, line);
                         acme.confirmDnsPublished();
                     });
    QObject::connect(&acme, &engine::AcmeService::finished, &acme, [&rc2](const acme::AcmeResult &r) {
        if (r.ok) {
            std::printf("%s\n", qPrintable(r.certificateId));
            std::fflush(stdout);
            rc2 = 0;
        } else {
            std::fprintf(stderr, "relaydesk: %s\n", qPrintable(r.error));
        }
        QCoreApplication::exit(0);
    });
    const QStringList names = parser.value(kOrder).split(QLatin1Char(','), Qt::SkipEmptyParts);
    const acme::ChallengeType type =
        challenge == QLatin1String("dns-01") ? acme::ChallengeType::Dns01 : acme::ChallengeType::Http01;
    if (!acme.order(names, type, parser.isSet(kAgree), &error)) {
        std::fprintf(stderr, "relaydesk: %s\n", qPrintable(error));
        return 2;
    }
    QCoreApplication::exec();
    return rc2;
}

} // namespace rd::app
