#include "util/fsutil.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cstring>
#ifdef Q_OS_WIN
#include <io.h>
#else
#include <fcntl.h>
#include <unistd.h>
#endif

namespace rd::util {

bool syncFile(const QString &path, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadWrite)) {
        if (error)
            *error = QStringLiteral("open %1: %2").arg(path, f.errorString());
        return false;
    }
#ifdef Q_OS_WIN
    const int rc = _commit(f.handle());
#else
    const int rc = ::fsync(f.handle());
#endif
    if (rc != 0) {
        if (error)
            *error = QStringLiteral("fsync %1: %2").arg(path, QString::fromLocal8Bit(std::strerror(errno)));
        return false;
    }
    return true;
}

QVector<bool> syncFiles(const QStringList &paths, QStringList *errors)
{
    QVector<bool> ok(paths.size(), true);
    if (errors)
        *errors = QStringList(paths.size(), QString());
#ifdef Q_OS_LINUX
    QVector<int> fds(paths.size(), -1);
    auto fail = [&](int i, const QString &what, int err) {
        ok[i] = false;
        if (errors)
            (*errors)[i] = QStringLiteral("%1 %2: %3").arg(what, paths.at(i), QString::fromLocal8Bit(std::strerror(err)));
    };
    for (int i = 0; i < paths.size(); ++i) {
        fds[i] = ::open(QFile::encodeName(paths.at(i)).constData(), O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0) {
            fail(i, QStringLiteral("open"), errno);
            continue;
        }
        // Start the write-back now; an error here is reported by fdatasync.
        ::sync_file_range(fds[i], 0, 0, SYNC_FILE_RANGE_WRITE);
    }
    for (int i = 0; i < paths.size(); ++i) {
        if (fds[i] < 0)
            continue;
        if (::fdatasync(fds[i]) != 0)
            fail(i, QStringLiteral("fdatasync"), errno);
        ::close(fds[i]);
    }
#else
    for (int i = 0; i < paths.size(); ++i) {
        QString why;
        ok[i] = syncFile(paths.at(i), &why);
        if (errors)
            (*errors)[i] = why;
    }
#endif
    return ok;
}

bool syncDir(const QString &path, QString *error)
{
#ifdef Q_OS_WIN
    Q_UNUSED(path);
    Q_UNUSED(error);
    return true; // NTFS metadata is journaled; folders cannot be opened for sync
#else
    const QByteArray p = QFile::encodeName(path);
    const int fd = ::open(p.constData(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        if (error)
            *error = QStringLiteral("open dir %1: %2").arg(path, QString::fromLocal8Bit(std::strerror(errno)));
        return false;
    }
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) {
        if (error)
            *error = QStringLiteral("fsync dir %1: %2").arg(path, QString::fromLocal8Bit(std::strerror(err)));
        return false;
    }
    return true;
#endif
}

bool ensurePrivateDir(const QString &path, QString *error)
{
    QDir d;
    if (!d.mkpath(path)) {
        if (error)
            *error = QStringLiteral("cannot create folder %1").arg(path);
        return false;
    }
    QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    return true;
}

bool makePrivateFile(const QString &path)
{
    if (!QFileInfo::exists(path))
        return true;
    return QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
}

} // namespace rd::util
