#include "app/oauthcli.h"

#include "config/configstore.h"
#include "oauth/delegatedsignin.h"

#include <QCoreApplication>

#include <cstdio>

namespace rd::app {
namespace {

const QCommandLineOption kSignIn(QStringLiteral("oauth-sign-in"),
                                 QStringLiteral("Sign a send connector in to its OAuth provider (authorization code "
                                                "with PKCE): prints the URL to open, stores the refresh token."),
                                 QStringLiteral("CONNECTOR"));

} // namespace

QList<QCommandLineOption> oauthOptions()
{
    return {kSignIn};
}

std::optional<int> runOAuthCommand(const QCommandLineParser &parser, const QString &dataDir,
                                   const config::ConfigSnapshot &config)
{
    if (!parser.isSet(kSignIn))
        return std::nullopt;
    const QString name = parser.value(kSignIn);
    const config::SendConnectorConfig *connector = nullptr;
    for (const config::SendConnectorConfig &c : config.sendConnectors) {
        if (c.name == name)
            connector = &c;
    }
    if (!connector) {
        std::fprintf(stderr, "relaydesk: there is no send connector named \"%s\"\n", qPrintable(name));
        return 2;
    }
    if (!connector->usesOAuth() || connector->oauth.flow != QLatin1String("authorization_code")) {
        std::fprintf(stderr, "relaydesk: connector \"%s\" does not use the OAuth authorization-code flow\n",
                     qPrintable(name));
        return 2;
    }
    oauth::DelegatedSignIn signIn(connector->oauth, connector->oauthSecrets);
    bool ok = false;
    QString refreshToken, error;
    QObject::connect(&signIn, &oauth::DelegatedSignIn::finished, &signIn,
                     [&](bool success, const QString &token, const QString &why) {
                         ok = success;
                         refreshToken = token;
                         error = why;
                         QCoreApplication::exit(0);
                     });
    const QUrl url = signIn.start(&error);
    if (url.isEmpty()) {
        std::fprintf(stderr, "relaydesk: %s\n", qPrintable(error));
        return 1;
    }
    std::printf("Open this address in a browser on this computer and sign in:\n%s\n",
                url.toString(QUrl::FullyEncoded).toUtf8().constData());
    std::fflush(stdout);
    QCoreApplication::exec();
    if (!ok) {
        std::fprintf(stderr, "relaydesk: sign-in failed: %s\n", qPrintable(error));
        return 1;
    }
    config::ConfigStore store(dataDir);
    if (!store.isOpen() || !store.saveRefreshToken(name, refreshToken, &error)) {
        std::fprintf(stderr, "relaydesk: the refresh token could not be stored: %s\n",
                     qPrintable(store.isOpen() ? error : store.errorString()));
        return 1;
    }
    std::printf("Signed in: connector %s will use the stored refresh token.\n", qPrintable(name));
    return 0;
}

} // namespace rd::app
