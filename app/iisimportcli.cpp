#include "app/iisimportcli.h"

#include "config/configstore.h"
#include "iisimport/iisimporter.h"

#include <QFile>

#include <cstdio>

namespace rd::app {
namespace {

const QCommandLineOption kImport(QStringLiteral("import-iis-metabase"),
                                 QStringLiteral("Import the SMTP virtual servers of an IIS 6 MetaBase.xml (listeners, "
                                                "relay lists, limits, smart host connector), print the report and save."),
                                 QStringLiteral("FILE"));
const QCommandLineOption kDryRun(QStringLiteral("dry-run"),
                                 QStringLiteral("With --import-iis-metabase: print the report, change nothing."));

void print(FILE *to, const QString &text)
{
    const QByteArray b = text.toUtf8();
    std::fwrite(b.constData(), 1, size_t(b.size()), to);
    std::fflush(to);
}

} // namespace

QList<QCommandLineOption> iisImportOptions()
{
    return {kImport, kDryRun};
}

std::optional<int> runIisImportCommand(const QCommandLineParser &parser, const QString &dataDir)
{
    if (!parser.isSet(kImport))
        return std::nullopt;
    QFile file(parser.value(kImport));
    if (!file.open(QIODevice::ReadOnly)) {
        print(stderr, QStringLiteral("relaydesk: cannot read %1: %2\n").arg(file.fileName(), file.errorString()));
        return 2;
    }
    const QByteArray xml = file.readAll();
    config::ConfigStore store(dataDir);
    if (!store.isOpen()) {
        print(stderr, QStringLiteral("relaydesk: %1\n").arg(store.errorString()));
        return 1;
    }
    const iisimport::ImportResult result = iisimport::importMetabase(xml, store.load());
    print(stdout, result.toText());
    if (!result.ok) {
        print(stderr, QStringLiteral("relaydesk: %1: nothing was imported\n").arg(file.fileName()));
        return 1;
    }
    if (parser.isSet(kDryRun)) {
        print(stdout, QStringLiteral("\nDry run: nothing was saved.\n"));
        return 0;
    }
    if (!store.save(result.proposed)) { // one transaction: all or nothing
        print(stderr, QStringLiteral("relaydesk: saving failed, nothing was imported: %1\n").arg(store.errorString()));
        return 1;
    }
    print(stdout, QStringLiteral("\nSaved to %1/config.db. Restart RelayDesk (or reload the configuration) to use it.\n")
                      .arg(dataDir));
    return 0;
}

} // namespace rd::app
