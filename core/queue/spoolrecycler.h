#pragma once
// rd::queue::SpoolRecycler: spool files of delivered messages, kept for reuse
// by new messages instead of being deleted and created again.
//
// Why: creating a file allocates an inode and deleting it frees one. At a few
// thousand messages a second that churn is a large share of the relay's time
// (ext4 without a journal, for one, scans past every inode freed in the last
// few seconds on each allocation), and it ran on the engine thread, in the
// middle of the SMTP conversation. A recycled file keeps its inode and its
// data blocks: a new message is written over it (the stale tail is cut off
// before the commit) and renamed into place as usual.
//
// Spare files live in <spool>/incoming as "<n>.spare" (start-up does not
// delete them: their content is garbage to be overwritten, never a message).
// Only files up to kMaxSpareSize are kept, at most kMaxSpares of them.
//
// Thread-safe: the engine thread takes, the queue writer gives.

#include <QMutex>
#include <QString>
#include <QStringList>

namespace rd::queue {

class SpoolRecycler {
public:
    static constexpr int kMaxSpares = 256;
    static constexpr qint64 kMaxSpareSize = 1024 * 1024;

    explicit SpoolRecycler(QString incomingDir);

    // Adopts the spare files already in the folder (start-up).
    void adoptExisting();
    // A spare file's path (the caller now owns the file), or empty if none.
    QString take();
    // Keeps the file at `path` as a spare (renamed into the folder) or, when
    // enough are kept or it is large, deletes it. False only if it could be
    // neither kept nor deleted.
    bool give(const QString &path);
    int spares() const;

private:
    QString m_dir;
    mutable QMutex m_mutex;
    QStringList m_spares;
    quint64 m_next = 0;
};

} // namespace rd::queue
