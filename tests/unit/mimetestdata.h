#pragma once
// Shared by tst_mime and tst_contentfilter: runs mime_build.py (Python's
// `email` package builds real messages and describes them with its own
// parser) into a temporary directory.

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>
#include <QTest>

namespace rd::test {

struct MimeCorpus {
    QTemporaryDir dir;
    QJsonObject expected; // expected.json
    QString error;        // why it could not be built (empty: fine)

    QByteArray message(const QString &name) const
    {
        QFile f(dir.filePath(name + QStringLiteral(".eml")));
        if (!f.open(QIODevice::ReadOnly))
            return QByteArray();
        return f.readAll();
    }
};

// `script` is QFINDTESTDATA("mime_build.py") of the calling test.
inline bool buildMimeCorpus(const QString &script, MimeCorpus *corpus)
{
    if (script.isEmpty()) {
        corpus->error = QStringLiteral("mime_build.py not found next to the test source");
        return false;
    }
    if (!QFile::exists(QStringLiteral("/usr/bin/python3"))) {
        corpus->error = QStringLiteral("no /usr/bin/python3");
        return false;
    }
    QProcess py;
    py.start(QStringLiteral("/usr/bin/python3"), {script, corpus->dir.path()});
    if (!py.waitForFinished(60000) || py.exitStatus() != QProcess::NormalExit || py.exitCode() != 0) {
        corpus->error = QStringLiteral("mime_build.py failed: ") + QString::fromUtf8(py.readAllStandardError());
        return false;
    }
    QFile f(corpus->dir.filePath(QStringLiteral("expected.json")));
    if (!f.open(QIODevice::ReadOnly)) {
        corpus->error = QStringLiteral("expected.json missing");
        return false;
    }
    corpus->expected = QJsonDocument::fromJson(f.readAll()).object();
    if (corpus->expected.isEmpty()) {
        corpus->error = QStringLiteral("expected.json is empty or invalid");
        return false;
    }
    return true;
}

} // namespace rd::test
