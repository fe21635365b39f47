#pragma once
// Durable file-system helpers: fsync of files and folders, owner-only
// permissions. Portable (POSIX fsync; Windows FlushFileBuffers via _commit).

#include <QString>
#include <QStringList>
#include <QVector>

namespace rd::util {

// Flushes the file's data and metadata to stable storage. False on error
// (with *error set).
bool syncFile(const QString &path, QString *error);

// Flushes the data of several files (and the metadata needed to read it
// back: size, blocks) to stable storage, as fast as the platform allows. On
// Linux the write-back of every file is started first (sync_file_range) and
// then each is waited for with fdatasync(), so the disk sees one batch of
// writes instead of one round trip per file. Returns one flag per path;
// (*errors)[i] says why path i failed.
QVector<bool> syncFiles(const QStringList &paths, QStringList *errors);

// Flushes a folder's entries (new/renamed files) to stable storage. A no-op
// returning true on platforms where folders cannot be synced (Windows).
bool syncDir(const QString &path, QString *error);

// Creates the folder (and parents) if needed and makes it owner-only (0700).
bool ensurePrivateDir(const QString &path, QString *error);

// Makes a file owner-only (0600). True if the file does not exist.
bool makePrivateFile(const QString &path);

} // namespace rd::util
