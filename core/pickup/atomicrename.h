#pragma once
// A plain rename (one directory entry moved, atomic, no copy fallback as
// QFile::rename does), portable through std::filesystem (MoveFileExW on
// Windows, rename(2) elsewhere). On Windows it fails while another process
// holds the file open without FILE_SHARE_DELETE, which the pickup folder
// relies on to skip files still being written. Thread: any.

#include <QFile>
#include <QString>

#include <filesystem>
#include <system_error>

namespace rd::pickup {

inline std::filesystem::path toFsPath(const QString &path)
{
#ifdef Q_OS_WIN
    return std::filesystem::path(path.toStdWString());
#else
    return std::filesystem::path(QFile::encodeName(path).toStdString());
#endif
}

// Renames `from` to `to` (same volume). False with *error on failure; `to`
// must not exist (the callers pick unique names).
inline bool atomicRename(const QString &from, const QString &to, QString *error = nullptr)
{
    std::error_code ec;
    std::filesystem::rename(toFsPath(from), toFsPath(to), ec);
    if (ec && error)
        *error = QStringLiteral("cannot rename %1 to %2: %3").arg(from, to, QString::fromLocal8Bit(ec.message()));
    return !ec;
}

} // namespace rd::pickup
