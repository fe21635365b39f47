#include "pickup/badmail.h"

#include "pickup/atomicrename.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <algorithm>

namespace rd::pickup {

namespace {

const QString kBad = QStringLiteral(".bad");
const QString kReason = QStringLiteral(".bad.txt");

QString safeBase(const QString &name)
{
    QString s = name;
    for (QChar &c : s) {
        if (c == QLatin1Char('/') || c == QLatin1Char('\\') || c == QLatin1Char(':') || c.unicode() < 0x20)
            c = QLatin1Char('_');
    }
    if (s.isEmpty() || s.startsWith(QLatin1Char('.')))
        s.prepend(QStringLiteral("item"));
    return s.left(150);
}

struct ReasonInfo {
    QString reason;
    QString source;
    QString original;
    QDateTime date;
};

ReasonInfo readReason(const QString &path)
{
    ReasonInfo info;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return info;
    const QList<QByteArray> lines = f.read(64 * 1024).split('\n');
    for (const QByteArray &raw : lines) {
        const QString line = QString::fromUtf8(raw).trimmed();
        const qsizetype colon = line.indexOf(QLatin1Char(':'));
        if (colon <= 0)
            continue;
        const QString key = line.left(colon).trimmed().toLower();
        const QString value = line.mid(colon + 1).trimmed();
        if (key == QLatin1String("reason"))
            info.reason = value;
        else if (key == QLatin1String("source"))
            info.source = value;
        else if (key == QLatin1String("original"))
            info.original = value;
        else if (key == QLatin1String("date"))
            info.date = QDateTime::fromString(value, Qt::ISODate);
    }
    return info;
}

BadmailItem itemFor(const QFileInfo &fi)
{
    BadmailItem item;
    item.fileName = fi.fileName();
    item.path = fi.absoluteFilePath();
    item.size = fi.size();
    const ReasonInfo r = readReason(Badmail::reasonPath(item.path));
    item.reason = r.reason.isEmpty() ? QStringLiteral("(no reason recorded)") : r.reason;
    item.source = r.source;
    item.original = r.original;
    // The reason's date is when the item arrived; a moved file keeps its old time.
    item.modified = r.date.isValid() ? r.date.toUTC() : fi.lastModified().toUTC();
    return item;
}

} // namespace

Badmail::Badmail(const QString &directory)
    : m_dir(QDir::cleanPath(directory))
{
}

QString Badmail::directoryFor(const QString &configured, const QString &dataDir)
{
    const QString c = configured.trimmed();
    return QDir::cleanPath(c.isEmpty() ? dataDir + QStringLiteral("/badmail") : c);
}

QString Badmail::reasonPath(const QString &badPath)
{
    return badPath + QStringLiteral(".txt");
}

bool Badmail::reserveName(const QString &baseName, QString *badPath, QString *error) const
{
    if (!QDir().mkpath(m_dir)) {
        *error = QStringLiteral("cannot create the badmail folder %1").arg(m_dir);
        return false;
    }
    const QString base = safeBase(baseName);
    for (int n = 1; n < 100000; ++n) {
        const QString stem = n == 1 ? base : QStringLiteral("%1-%2").arg(base).arg(n);
        const QString path = m_dir + QLatin1Char('/') + stem + kBad;
        if (!QFileInfo::exists(path) && !QFileInfo::exists(reasonPath(path))) {
            *badPath = path;
            return true;
        }
    }
    *error = QStringLiteral("no free name for %1 in the badmail folder %2").arg(base, m_dir);
    return false;
}

bool Badmail::writeReason(const QString &badPath, const QString &baseName, const QString &source,
                          const QString &reason, QString *error) const
{
    QSaveFile f(reasonPath(badPath));
    if (!f.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("cannot write %1: %2").arg(f.fileName(), f.errorString());
        return false;
    }
    QString text;
    text += QStringLiteral("Reason: %1\r\n").arg(QString(reason).replace(QLatin1Char('\n'), QLatin1Char(' ')));
    text += QStringLiteral("Source: %1\r\n").arg(source);
    text += QStringLiteral("Original: %1\r\n").arg(baseName);
    text += QStringLiteral("Date: %1\r\n").arg(QDateTime::currentDateTimeUtc().toString(Qt::ISODate));
    f.write(text.toUtf8());
    if (!f.commit()) {
        *error = QStringLiteral("cannot write %1: %2").arg(f.fileName(), f.errorString());
        return false;
    }
    return true;
}

bool Badmail::moveIn(const QString &sourcePath, const QString &baseName, const QString &source,
                     const QString &reason, QString *storedPath, QString *error) const
{
    QString path, err;
    if (!reserveName(baseName, &path, &err)) {
        if (error)
            *error = err;
        return false;
    }
    if (!atomicRename(sourcePath, path)) {
        // Another volume: copy, then remove the source.
        if (!QFile::copy(sourcePath, path)) {
            if (error)
                *error = QStringLiteral("cannot move %1 to the badmail folder %2").arg(sourcePath, m_dir);
            return false;
        }
        if (!QFile::remove(sourcePath)) {
            QFile::remove(path);
            if (error)
                *error = QStringLiteral("cannot remove %1 after copying it to badmail").arg(sourcePath);
            return false;
        }
    }
    if (storedPath)
        *storedPath = path;
    // The message is safe now; a missing reason only shows as "no reason recorded".
    if (!writeReason(path, baseName, source, reason, &err) && error)
        *error = err;
    return true;
}

bool Badmail::store(const QByteArray &content, const QString &baseName, const QString &source,
                    const QString &reason, QString *storedPath, QString *error) const
{
    QString path, err;
    if (!reserveName(baseName, &path, &err)) {
        if (error)
            *error = err;
        return false;
    }
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(content) != content.size() || !f.commit()) {
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(path, f.errorString());
        return false;
    }
    if (storedPath)
        *storedPath = path;
    if (!writeReason(path, baseName, source, reason, &err) && error)
        *error = err;
    return true;
}

QList<BadmailItem> Badmail::list(int max) const
{
    QList<BadmailItem> items;
    const QDir dir(m_dir);
    if (!dir.exists())
        return items;
    const QFileInfoList files = dir.entryInfoList({QStringLiteral("*.bad")}, QDir::Files | QDir::Hidden);
    items.reserve(files.size());
    for (const QFileInfo &fi : files)
        items.append(itemFor(fi));
    std::sort(items.begin(), items.end(), [](const BadmailItem &a, const BadmailItem &b) {
        return a.modified != b.modified ? a.modified > b.modified : a.fileName < b.fileName;
    });
    if (max >= 0 && items.size() > max)
        items.resize(max);
    return items;
}

int Badmail::purge(int retentionDays, const QDateTime &now, QString *error) const
{
    if (retentionDays <= 0)
        return 0;
    const QDateTime cutoff = now.toUTC().addDays(-retentionDays);
    int removed = 0;
    const QList<BadmailItem> all = list(-1);
    for (const BadmailItem &item : all) {
        if (item.modified >= cutoff)
            continue;
        if (!QFile::remove(item.path)) {
            if (error && error->isEmpty())
                *error = QStringLiteral("cannot remove %1").arg(item.path);
            continue;
        }
        QFile::remove(reasonPath(item.path));
        ++removed;
    }
    // Reason files whose message is gone (removed by hand) go too once old.
    const QFileInfoList orphans = QDir(m_dir).entryInfoList({QStringLiteral("*") + kReason}, QDir::Files);
    for (const QFileInfo &fi : orphans) {
        const QString bad = fi.absoluteFilePath().chopped(4);
        if (!QFileInfo::exists(bad) && fi.lastModified().toUTC() < cutoff)
            QFile::remove(fi.absoluteFilePath());
    }
    return removed;
}

} // namespace rd::pickup
