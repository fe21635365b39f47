#include "queue/spoolrecycler.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace rd::queue {

SpoolRecycler::SpoolRecycler(QString incomingDir) : m_dir(std::move(incomingDir)) {}

void SpoolRecycler::adoptExisting()
{
    const QDir dir(m_dir);
    const QStringList names = dir.entryList({QStringLiteral("*.spare")}, QDir::Files);
    QMutexLocker lock(&m_mutex);
    for (const QString &name : names) {
        const quint64 n = QStringView(name).chopped(6).toULongLong();
        m_next = std::max(m_next, n + 1);
        if (m_spares.size() < kMaxSpares)
            m_spares << dir.filePath(name);
        else
            QFile::remove(dir.filePath(name));
    }
}

QString SpoolRecycler::take()
{
    QMutexLocker lock(&m_mutex);
    return m_spares.isEmpty() ? QString() : m_spares.takeLast();
}

bool SpoolRecycler::give(const QString &path)
{
    QString target;
    {
        QMutexLocker lock(&m_mutex);
        if (m_spares.size() < kMaxSpares)
            target = QStringLiteral("%1/%2.spare").arg(m_dir).arg(m_next++);
    }
    if (!target.isEmpty() && QFileInfo(path).size() <= kMaxSpareSize && QFile::rename(path, target)) {
        QMutexLocker lock(&m_mutex);
        m_spares << target;
        return true;
    }
    return QFile::remove(path) || !QFileInfo::exists(path);
}

int SpoolRecycler::spares() const
{
    QMutexLocker lock(&m_mutex);
    return int(m_spares.size());
}

} // namespace rd::queue
