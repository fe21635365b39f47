// RelayDesk entry point and composition root.
//   relaydesk                 the GUI with the engine in-process
//   relaydesk --headless      the engine alone (a service)
// See docs/CONFIG.md for every option.

#include "app/admin.h"
#include "app/dnscheckcli.h"
#include "app/guilatency.h"
#include "app/iisimportcli.h"
#include "app/trackcli.h"
#include "app/acmecli.h"
#include "app/clustercli.h"
#include "app/oauthcli.h"
#include "app/runtime.h"
#include "app/signalwatcher.h"
#include "config/configjson.h"
#include "config/configstore.h"
#include "engine/engine.h"
#include "engine/enginefacade.h"
#include "storage/database.h"
#include "util/fsutil.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <openssl/crypto.h>
#include <QDir>
#include <QFile>
#include <QStandardPaths>
#include <QSqlDatabase>
#include <QTimer>

#ifdef RELAYDESK_WITH_GUI
#include "main/mainwindow.h"
#include <QApplication>
#include <QMessageBox>
#endif

#include <cstdio>
#ifdef Q_OS_UNIX
#include <sys/resource.h>
#endif
#include <memory>

namespace {

void err(const QString &line)
{
    std::fprintf(stderr, "%s\n", qPrintable(line));
}

bool hasArg(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; ++i) {
        if (qstrcmp(argv[i], name) == 0)
            return true;
    }
    return false;
}

bool readConfigFile(const QString &path, rd::config::ConfigSnapshot *out)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        err(QStringLiteral("relaydesk: cannot read %1: %2").arg(path, f.errorString()));
        return false;
    }
    QStringList errors;
    if (!rd::config::configFromJson(f.readAll(), out, &errors)) {
        err(QStringLiteral("relaydesk: %1 is not a valid configuration:").arg(path));
        for (const QString &e : errors)
            err(QStringLiteral("  %1").arg(e));
        return false;
    }
    return true;
}

// A relay holds one descriptor per session and connection: lift the soft
// limit on open files to the hard limit (Linux often starts at 1024).
void raiseFileLimit()
{
#ifdef Q_OS_UNIX
    struct rlimit rl;
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &rl);
    }
#endif
}

bool displayAvailable()
{
#if defined(Q_OS_UNIX) && !defined(Q_OS_MACOS)
    return !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") ||
           !qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
#else
    return true;
#endif
}

} // namespace

int main(int argc, char **argv)
{
    // No OPENSSL_cleanup() from an atexit handler. Qt's worker threads (thread
    // pools: PBKDF2 in the Authenticator, certificate checks; the engine's TLS)
    // can still be running their thread-local destructors, which free their
    // per-thread OpenSSL state, while main() returns and libcrypto's atexit
    // handler frees the same state: a double free, seen as an abort in
    // malloc_consolidate() at about one stop in a hundred. The process ends
    // anyway; the kernel reclaims the memory. This has to be the first call
    // into libcrypto to take effect.
    OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr);

    QCoreApplication::setOrganizationName(QStringLiteral("RelayDesk"));
    QCoreApplication::setApplicationName(QStringLiteral("RelayDesk"));
    QCoreApplication::setApplicationVersion(QStringLiteral(RELAYDESK_VERSION));

    raiseFileLimit();
    bool headless = hasArg(argc, argv, "--headless");
    bool utility = hasArg(argc, argv, "--version") || hasArg(argc, argv, "--help") || hasArg(argc, argv, "-h") ||
                   hasArg(argc, argv, "--check-config") || hasArg(argc, argv, "--export-config");
    for (const char *admin : {"--add-user", "--set-password", "--remove-user", "--list-users", "--import-pfx",
                              "--import-pem", "--generate-certificate", "--list-certificates", "--dkim-generate",
                              "--dkim-import", "--dkim-remove", "--dkim-list", "--dns-check",
                              "--import-iis-metabase", "--oauth-sign-in"})
        utility = utility || hasArg(argc, argv, admin);
#ifdef RELAYDESK_WITH_GUI
    if (!headless && !utility && !displayAvailable()) {
        err(QStringLiteral("relaydesk: no display found; running headless (use --headless to silence this)"));
        headless = true;
    }
    std::unique_ptr<QCoreApplication> app;
    if (headless || utility)
        app = std::make_unique<QCoreApplication>(argc, argv);
    else
        app = std::make_unique<QApplication>(argc, argv);
#else
    headless = true;
    auto app = std::make_unique<QCoreApplication>(argc, argv);
#endif

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("RelayDesk: desktop manager and local SMTP relay"));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption headlessOpt(QStringLiteral("headless"), QStringLiteral("Run the engine without a window."));
    QCommandLineOption dataDirOpt(QStringLiteral("data-dir"),
                                  QStringLiteral("Folder with the databases and the spool of this instance."),
                                  QStringLiteral("DIR"));
    QCommandLineOption configOpt(QStringLiteral("config"),
                                 QStringLiteral("Import this JSON configuration (replacing the stored one), then run."),
                                 QStringLiteral("FILE"));
    QCommandLineOption exportOpt(QStringLiteral("export-config"),
                                 QStringLiteral("Write the stored configuration as JSON and exit."),
                                 QStringLiteral("FILE"));
    QCommandLineOption checkOpt(QStringLiteral("check-config"),
                                QStringLiteral("Validate a JSON configuration file and exit."), QStringLiteral("FILE"));
    QCommandLineOption panelOpt(QStringLiteral("show-panel"),
                                QStringLiteral("Open the window on this panel: dashboard, connectors, relay, users, "
                                               "users-directory, certificates, dkim, ratelimits, dnschecks, queue "
                                               "or logs."),
                                QStringLiteral("NAME"));
    parser.addOptions({headlessOpt, dataDirOpt, configOpt, exportOpt, checkOpt, panelOpt});
    parser.addOptions(rd::app::adminOptions());
    parser.addOptions(rd::app::dnsCheckOptions());
    parser.addOptions(rd::app::iisImportOptions());
    parser.addOptions(rd::app::oauthOptions());
    parser.addOptions(rd::app::trackOptions());
    parser.addOptions(rd::app::acmeOptions());
    parser.addOptions(rd::app::clusterOptions());
    parser.process(*app);

    if (parser.isSet(checkOpt)) {
        rd::config::ConfigSnapshot cfg;
        if (!readConfigFile(parser.value(checkOpt), &cfg))
            return 2;
        std::printf("%s: valid\n", qPrintable(parser.value(checkOpt)));
        return 0;
    }

    QString dataDir = parser.value(dataDirOpt);
    if (dataDir.isEmpty())
        dataDir = qEnvironmentVariable("RELAYDESK_DATA_DIR");
    if (dataDir.isEmpty())
        dataDir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    dataDir = QDir(dataDir).absolutePath();
    QString why;
    if (!rd::util::ensurePrivateDir(dataDir, &why)) {
        err(QStringLiteral("relaydesk: %1").arg(why));
        return 1;
    }

    rd::config::ConfigSnapshot config;
    {
        rd::config::ConfigStore store(dataDir); // creates and migrates config.db
        if (!store.isOpen()) {
            err(QStringLiteral("relaydesk: %1").arg(store.errorString()));
            return 1;
        }
    }
    int clusterRc = 0;
    const auto cluster = rd::app::clusterOptionsFrom(parser, dataDir, &clusterRc);
    if (clusterRc)
        return clusterRc;
    if (const auto rc = rd::app::runClusterCommand(parser, dataDir, cluster))
        return *rc;
    // A node starts from the newest configuration the store has (or its local
    // copy when the store is down); a command's change is published at once.
    if (cluster)
        rd::app::syncClusterOnce(*cluster, dataDir, QString());
    const auto published = [&](int rc) {
        if (cluster && rc == 0)
            rd::app::syncClusterOnce(*cluster, dataDir, QStringLiteral("changed on the command line"));
        return rc;
    };
    if (const auto rc = rd::app::runAdminCommand(parser, dataDir))
        return published(*rc);
    if (const auto rc = rd::app::runIisImportCommand(parser, dataDir))
        return published(*rc);
    if (const auto rc = rd::app::runTrackCommands(parser, dataDir))
        return *rc;
    {
        rd::config::ConfigStore store(dataDir);
        if (!store.isOpen()) {
            err(QStringLiteral("relaydesk: %1").arg(store.errorString()));
            return 1;
        }
        if (parser.isSet(configOpt)) {
            if (!readConfigFile(parser.value(configOpt), &config))
                return 2;
            const rd::config::ConfigSnapshot stored = store.load();
            rd::config::keepStoredSecrets(&config.sendConnectors, stored.sendConnectors);
            rd::config::keepStoredSecretSettings(&config, stored);
            if (!store.save(config)) {
                err(QStringLiteral("relaydesk: %1").arg(store.errorString()));
                return 1;
            }
            if (cluster)
                rd::app::syncClusterOnce(*cluster, dataDir,
                                         QStringLiteral("imported from %1").arg(parser.value(configOpt)));
        }
        QStringList warnings;
        config = store.load(&warnings);
        for (const QString &w : warnings)
            err(QStringLiteral("relaydesk: warning: %1").arg(w));
        if (parser.isSet(exportOpt)) {
            QFile out(parser.value(exportOpt));
            if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
                out.write(rd::config::configToJson(config)) < 0) {
                err(QStringLiteral("relaydesk: cannot write %1: %2").arg(out.fileName(), out.errorString()));
                return 1;
            }
            return 0;
        }
    }
    // Create and migrate the queue and log databases before any reader opens them.
    for (auto kind : {rd::storage::DbKind::Queue, rd::storage::DbKind::Log}) {
        const QString name = rd::storage::uniqueConnectionName(QStringLiteral("startup"));
        QSqlDatabase db = rd::storage::openDatabase(dataDir, kind, name, {}, &why);
        const bool ok = db.isValid();
        db = QSqlDatabase();
        rd::storage::closeDatabase(name);
        if (!ok) {
            err(QStringLiteral("relaydesk: %1").arg(why));
            return 1;
        }
    }

    if (const auto rc = rd::app::runDnsCheckCommand(parser, dataDir, config))
        return *rc;
    if (const auto rc = rd::app::runAcmeCommand(parser, dataDir, config))
        return *rc;
    if (const auto rc = rd::app::runOAuthCommand(parser, dataDir, config))
        return *rc;

    rd::app::Runtime runtime(dataDir, config, headless);
    if (cluster)
        runtime.engine()->setCluster(*cluster);
    int exitCode = 0;
    QObject::connect(runtime.engine(), &rd::engine::Engine::fatalError, app.get(), [&](const QString &message) {
        err(QStringLiteral("relaydesk: fatal: %1").arg(message));
        exitCode = 1;
        if (headless)
            QCoreApplication::exit(1);
    }, Qt::QueuedConnection);
    rd::app::SignalWatcher sigWatcher;
    QObject::connect(&sigWatcher, &rd::app::SignalWatcher::terminateRequested, app.get(), [] {
        QCoreApplication::quit();
    });

    runtime.start();
    if (headless) {
        const int rc = app->exec();
        runtime.stop();
        return rc ? rc : exitCode;
    }
#ifdef RELAYDESK_WITH_GUI
    rd::engine::EngineFacade facade(runtime.engine(), dataDir);
    rd::ui::MainWindow window(&facade);
    if (parser.isSet(panelOpt) && !window.showPanelByName(parser.value(panelOpt))) {
        err(QStringLiteral("relaydesk: unknown panel \"%1\" (one of: %2)")
                .arg(parser.value(panelOpt), rd::ui::MainWindow::panelNames().join(QStringLiteral(", "))));
        return 2;
    }
    window.show();
    // The performance benchmark's probe of the GUI thread (tests/bench/gui_latency.py).
    std::unique_ptr<rd::app::GuiLatencyProbe> latency(rd::app::GuiLatencyProbe::fromEnvironment(nullptr));
    QObject::connect(runtime.engine(), &rd::engine::Engine::fatalError, &window, [&window](const QString &message) {
        QMessageBox::critical(&window, QStringLiteral("RelayDesk"),
                              QStringLiteral("The relay engine could not start:\n\n%1").arg(message));
    }, Qt::QueuedConnection);
    const int rc = app->exec();
    runtime.stop();
    return rc;
#else
    return 0;
#endif
}
