#include "queue/queuemodel.h"

#include "queue/queuereader.h"

#include <QColor>
#include <QDateTime>
#include <QLocale>
#include <QMap>
#include <QSet>
#include <QStringList>

#include <algorithm>

namespace rd::ui {

using rd::queue::MessageInfo;
using rd::queue::MessageState;

namespace {

// Addresses shown in the Recipients column before "(+N)".
constexpr int kShownRecipients = 2;
constexpr int kClockIntervalMs = 30 * 1000;

QStringList addresses(const MessageInfo &m)
{
    QStringList out;
    out.reserve(m.recipients.size());
    for (const auto &r : m.recipients)
        out << QString::fromUtf8(r.address);
    return out;
}

int recipientCount(const MessageInfo &m)
{
    // The reader lists only the first recipients; recipientCount is the total.
    return std::max<int>(m.recipientCount, int(m.recipients.size()));
}

QString recipientsText(const MessageInfo &m)
{
    QStringList shown;
    for (int i = 0; i < m.recipients.size() && i < kShownRecipients; ++i)
        shown << QString::fromUtf8(m.recipients.at(i).address);
    QString text = shown.join(QStringLiteral(", "));
    const int more = recipientCount(m) - int(shown.size());
    if (more > 0)
        text += QStringLiteral(" (+%1)").arg(more);
    return text;
}

QString recipientsToolTip(const MessageInfo &m)
{
    QString tip = addresses(m).join(QLatin1Char('\n'));
    const int more = recipientCount(m) - int(m.recipients.size());
    if (more > 0)
        tip += QLatin1Char('\n') + QueueModel::tr("... and %1 more").arg(more);
    return tip;
}

QString localTimeText(const QDateTime &utc)
{
    if (!utc.isValid())
        return {};
    return utc.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

} // namespace

QueueModel::QueueModel(const QString &dataDir, QObject *parent)
    : QAbstractTableModel(parent)
    , m_dataDir(dataDir)
    , m_reader(std::make_unique<rd::queue::QueueReader>(dataDir))
{
    if (m_reader->isOpen())
        m_count = std::max(0, m_reader->count(m_filter));
    m_pageTotal = m_count;

    m_refreshTimer.setSingleShot(true);
    m_refreshTimer.setInterval(RefreshDelayMs);
    connect(&m_refreshTimer, &QTimer::timeout, this, &QueueModel::refresh);

    m_clockTimer.setInterval(kClockIntervalMs);
    connect(&m_clockTimer, &QTimer::timeout, this, &QueueModel::tickTimes);
    m_clockTimer.start();
}

QueueModel::~QueueModel() = default;

int QueueModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_count;
}

int QueueModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

bool QueueModel::isOpen() const
{
    return m_reader->isOpen();
}

QString QueueModel::errorString() const
{
    return m_reader->errorString();
}

QString QueueModel::formatSize(qint64 bytes)
{
    if (bytes < 1024)
        return tr("%1 B").arg(std::max<qint64>(0, bytes));
    static const char *const units[] = {"KB", "MB", "GB", "TB"};
    double value = double(bytes) / 1024.0;
    int unit = 0;
    while (value >= 1024.0 && unit < 3) {
        value /= 1024.0;
        ++unit;
    }
    return QStringLiteral("%1 %2").arg(QLocale().toString(value, 'f', 1), QLatin1String(units[unit]));
}

QString QueueModel::formatAge(qint64 seconds)
{
    seconds = std::max<qint64>(0, seconds);
    if (seconds < 60)
        return tr("%1 s").arg(seconds);
    const qint64 minutes = seconds / 60;
    if (minutes < 60)
        return tr("%1 min").arg(minutes);
    const qint64 hours = minutes / 60;
    if (hours < 24) {
        const qint64 m = minutes % 60;
        return m ? tr("%1 h %2 min").arg(hours).arg(m) : tr("%1 h").arg(hours);
    }
    const qint64 days = hours / 24;
    const qint64 h = hours % 24;
    return h ? tr("%1 d %2 h").arg(days).arg(h) : tr("%1 d").arg(days);
}

QString QueueModel::stateLabel(MessageState state)
{
    switch (state) {
    case MessageState::Queued: return tr("Queued");
    case MessageState::InDelivery: return tr("In delivery");
    case MessageState::Deferred: return tr("Deferred");
    case MessageState::Held: return tr("Held");
    case MessageState::Failed: return tr("Failed");
    }
    return tr("Unknown");
}

QVariant QueueModel::rawValue(const MessageInfo &m, int column) const
{
    switch (column) {
    case QueueId: return m.queueId;
    case Sender: return QString::fromUtf8(m.sender);
    case Recipients: return addresses(m);
    case Size: return m.size;
    case Age: return m.received;
    case State: return int(m.state);
    case Attempts: return m.attempts;
    case NextAttempt: return m.nextAttempt;
    case LastError: return m.lastError;
    default: return {};
    }
}

QVariant QueueModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const MessageInfo *m = messageAt(index.row());
    if (!m)
        return {};
    const int column = index.column();

    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case QueueId: return m->queueId;
        case Sender: return m->sender.isEmpty() ? QStringLiteral("<>") : QString::fromUtf8(m->sender);
        case Recipients: return recipientsText(*m);
        case Size: return formatSize(m->size);
        case Age:
            return m->received.isValid()
                ? formatAge(m->received.secsTo(QDateTime::currentDateTimeUtc()))
                : QString();
        case State: return stateLabel(m->state);
        case Attempts: return m->attempts;
        case NextAttempt: {
            if (!m->nextAttempt.isValid())
                return QString();
            const qint64 secs = QDateTime::currentDateTimeUtc().secsTo(m->nextAttempt);
            return secs <= 0 ? tr("due") : tr("in %1").arg(formatAge(secs));
        }
        case LastError: return m->lastError;
        }
        return {};
    case Qt::ToolTipRole:
        switch (column) {
        case Recipients: return recipientsToolTip(*m);
        case Age: return localTimeText(m->received);
        case NextAttempt: return localTimeText(m->nextAttempt);
        case LastError: return m->lastError.isEmpty() ? QVariant() : QVariant(m->lastError);
        }
        return {};
    case Qt::TextAlignmentRole:
        if (column == Size || column == Attempts || column == Age)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::ForegroundRole:
        if (column == State || column == LastError) {
            if (m->state == MessageState::Failed)
                return QColor(0xb0, 0x1e, 0x1e);
            if (m->state == MessageState::Deferred)
                return QColor(0x9a, 0x5b, 0x00);
        }
        return {};
    case RawValueRole: return rawValue(*m, column);
    case QueueIdRole: return m->queueId;
    case SenderRole: return QString::fromUtf8(m->sender);
    case RecipientsRole: return addresses(*m);
    case RecipientCountRole: return recipientCount(*m);
    case SizeBytesRole: return m->size;
    case ReceivedRole: return m->received;
    case StateRole: return int(m->state);
    case AttemptsRole: return m->attempts;
    case NextAttemptRole: return m->nextAttempt;
    case LastErrorRole: return m->lastError;
    case MessageInfoRole: return QVariant::fromValue(*m);
    }
    return {};
}

QVariant QueueModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case QueueId: return tr("Queue ID");
    case Sender: return tr("Sender");
    case Recipients: return tr("Recipients");
    case Size: return tr("Size");
    case Age: return tr("Age");
    case State: return tr("State");
    case Attempts: return tr("Attempts");
    case NextAttempt: return tr("Next attempt");
    case LastError: return tr("Last error");
    }
    return {};
}

QString QueueModel::queueIdAt(int row) const
{
    const MessageInfo *m = messageAt(row);
    return m ? m->queueId : QString();
}

const MessageInfo *QueueModel::messageAt(int row) const
{
    if (row < 0 || row >= m_count)
        return nullptr;
    const Page &page = loadPage(row / PageSize);
    const int offset = row % PageSize;
    return offset < page.rows.size() ? &page.rows.at(offset) : nullptr;
}

const QueueModel::Page &QueueModel::loadPage(int page) const
{
    auto it = m_pages.find(page);
    if (it != m_pages.end()) {
        it->stamp = ++m_tick;
        return *it;
    }
    Page p;
    if (m_reader->isOpen()) {
        // Next to a cached page: read by key (no offset walk, no gap or
        // overlap with the neighbour even if the queue moved meanwhile).
        const auto before = m_pages.constFind(page - 1);
        const auto after = m_pages.constFind(page + 1);
        if (before != m_pages.constEnd() && before->rows.size() == PageSize)
            p.rows = m_reader->pageAfter(m_filter, rd::queue::QueueKey::of(before->rows.last()), PageSize);
        else if (after != m_pages.constEnd() && !after->rows.isEmpty())
            p.rows = m_reader->pageBefore(m_filter, rd::queue::QueueKey::of(after->rows.first()), PageSize);
        else
            p.rows = m_reader->page(m_filter, page * PageSize, PageSize, m_pageTotal);
    }
    if (m_pages.size() >= MaxCachedPages) {
        auto oldest = m_pages.begin();
        for (auto i = m_pages.begin(); i != m_pages.end(); ++i) {
            if (i->stamp < oldest->stamp)
                oldest = i;
        }
        rememberKeys(oldest.key(), oldest->rows);
        m_pages.erase(oldest);
    }
    p.stamp = ++m_tick;
    return *m_pages.insert(page, std::move(p));
}

void QueueModel::rememberKeys(int page, const QVector<MessageInfo> &rows) const
{
    // The page leaves the cache: keep the keys of its selected/current rows,
    // so that the next refresh still knows which messages they are.
    const QModelIndexList persistent = persistentIndexList();
    for (const QModelIndex &idx : persistent) {
        const int offset = idx.row() - page * PageSize;
        if (offset >= 0 && offset < rows.size() && m_keysOfRows.size() < MaxRememberedRows)
            m_keysOfRows.insert(idx.row(), rd::queue::QueueKey::of(rows.at(offset)));
    }
}

QHash<int, int> QueueModel::mapPersistentRows(const QModelIndexList &from, int limit,
                                             QHash<int, rd::queue::QueueKey> *keysOfNewRows) const
{
    // Old row -> new row (-1: gone). For each cached page holding a persistent
    // row: the matching messages before its first key give the new start
    // row, and the ids still present between its first and last key give the
    // rest. Rows whose page has left the cache are looked up by their
    // remembered key (up to MaxKeyLookups); rows never read move by the
    // nearest such page's shift.
    QHash<int, int> newRows;
    QHash<QString, rd::queue::QueueKey> keyOfId;
    QMap<int, int> shiftOfPage; // old page -> new start row - old start row
    QHash<QString, int> newRowOfId;
    for (const QModelIndex &idx : from) {
        const int page = idx.row() / PageSize;
        if (shiftOfPage.contains(page))
            continue;
        const auto it = m_pages.constFind(page);
        if (it == m_pages.constEnd() || it->rows.isEmpty())
            continue;
        const auto first = rd::queue::QueueKey::of(it->rows.first());
        const auto last = rd::queue::QueueKey::of(it->rows.last());
        const int start = m_reader->rowsBefore(m_filter, first);
        if (start < 0)
            continue;
        const QStringList ids = m_reader->queueIds(m_filter, first, last);
        for (int i = 0; i < ids.size(); ++i)
            newRowOfId.insert(ids.at(i), start + i);
        for (const MessageInfo &m : it->rows)
            keyOfId.insert(m.queueId, rd::queue::QueueKey::of(m));
        shiftOfPage.insert(page, start - page * PageSize);
    }
    int lookups = 0;
    for (const QModelIndex &idx : from) {
        const int row = idx.row();
        if (newRows.contains(row))
            continue;
        int to = -1;
        const auto it = m_pages.constFind(row / PageSize);
        const auto known = m_keysOfRows.constFind(row);
        if (it != m_pages.constEnd() && row % PageSize < it->rows.size()) {
            const QString &id = it->rows.at(row % PageSize).queueId;
            to = newRowOfId.value(id, -1);
            if (to >= 0 && to < limit)
                keysOfNewRows->insert(to, keyOfId.value(id));
        } else if (known != m_keysOfRows.constEnd() && lookups < MaxKeyLookups) {
            ++lookups;
            to = m_reader->position(m_filter, *known);
            if (to >= 0 && to < limit)
                keysOfNewRows->insert(to, *known);
        } else if (!shiftOfPage.isEmpty()) {
            // Never read: keep it with its neighbours.
            const int page = row / PageSize;
            const auto next = shiftOfPage.lowerBound(page);
            auto nearest = next;
            if (next == shiftOfPage.end()
                || (next != shiftOfPage.begin() && page - std::prev(next).key() < next.key() - page))
                nearest = std::prev(next);
            to = row + nearest.value();
        } else {
            to = row;
        }
        newRows.insert(row, to >= 0 && to < limit ? to : -1);
    }
    return newRows;
}

void QueueModel::reopenIfNeeded()
{
    if (!m_reader->isOpen())
        m_reader = std::make_unique<rd::queue::QueueReader>(m_dataDir);
}

void QueueModel::scheduleRefresh()
{
    if (m_refreshTimer.isActive())
        return;
    // Slow refreshes (a substring filter over a big queue) space out so that
    // they never take more than a fifth of the GUI thread.
    m_refreshTimer.setInterval(int(std::clamp<qint64>(4 * m_lastRefreshMs, RefreshDelayMs, 5000)));
    m_refreshTimer.start();
}

void QueueModel::refresh()
{
    QElapsedTimer timer;
    timer.start();
    m_refreshTimer.stop();
    if (m_count == 0 && !m_reader->isOpen()) {
        // Nothing is cached yet, so replacing the reader cannot break an index.
        reopenIfNeeded();
    }
    // Count, row mapping and the pages now in view come from one snapshot:
    // the engine keeps writing meanwhile, and rows counted at one moment but
    // read at another would shift the selection by the difference.
    m_reader->beginSnapshot();
    const int newCount = m_reader->isOpen() ? std::max(0, m_reader->count(m_filter)) : 0;

    // 1. Re-read the rows in place: one layout change in which persistent
    //    indexes follow their message (see the header).
    emit layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
    const QModelIndexList from = persistentIndexList();
    const int limit = std::min(m_count, newCount); // valid both before and after step 2
    QHash<int, rd::queue::QueueKey> keys;
    const QHash<int, int> newRows = mapPersistentRows(from, limit, &keys);
    QSet<int> pagesInView; // where the persistent rows that were on screen are now
    for (auto it = newRows.cbegin(); it != newRows.cend() && pagesInView.size() < MaxCachedPages / 4; ++it) {
        if (it.value() >= 0 && m_pages.contains(it.key() / PageSize))
            pagesInView.insert(it.value() / PageSize);
    }
    m_pages.clear();
    m_keysOfRows.clear();
    for (auto it = keys.cbegin(); it != keys.cend() && m_keysOfRows.size() < MaxRememberedRows; ++it) {
        if (!pagesInView.contains(it.key() / PageSize))
            m_keysOfRows.insert(it.key(), it.value());
    }
    m_pageTotal = newCount;
    QModelIndexList to;
    to.reserve(from.size());
    for (const QModelIndex &idx : from) {
        const int row = newRows.value(idx.row(), -1);
        to << (row >= 0 ? createIndex(row, idx.column()) : QModelIndex());
    }
    changePersistentIndexList(from, to);
    emit layoutChanged({}, QAbstractItemModel::VerticalSortHint);

    // 2. Grow or shrink at the end.
    if (newCount > m_count) {
        beginInsertRows({}, m_count, newCount - 1);
        m_count = newCount;
        endInsertRows();
    } else if (newCount < m_count) {
        beginRemoveRows({}, newCount, m_count - 1);
        m_count = newCount;
        endRemoveRows();
    }
    for (int page : std::as_const(pagesInView))
        loadPage(page);
    m_reader->endSnapshot();
    m_lastRefreshMs = timer.elapsed();
    emit refreshed();
}

void QueueModel::setFilter(const rd::queue::QueueFilter &filter)
{
    if (filter == m_filter)
        return;
    m_refreshTimer.stop();
    beginResetModel();
    m_filter = filter;
    m_pages.clear();
    m_keysOfRows.clear();
    reopenIfNeeded();
    m_count = m_reader->isOpen() ? std::max(0, m_reader->count(m_filter)) : 0;
    m_pageTotal = m_count;
    endResetModel();
    emit refreshed();
}

QStringList QueueModel::queueIds(const QItemSelection &selection) const
{
    QVector<QPair<int, int>> ranges;
    for (const QItemSelectionRange &r : selection) {
        if (r.isValid() && !r.parent().isValid())
            ranges.append({r.top(), r.bottom()});
    }
    std::sort(ranges.begin(), ranges.end());
    QStringList ids;
    QSet<QString> seen;
    auto add = [&](const QString &id) {
        if (!id.isEmpty() && !seen.contains(id)) {
            seen.insert(id);
            ids << id;
        }
    };
    for (const auto &[top, bottom] : ranges) {
        bool allCached = true;
        for (int p = top / PageSize; p <= bottom / PageSize && allCached; ++p)
            allCached = m_pages.contains(p);
        if (allCached || bottom - top < PageSize) {
            for (int row = top; row <= bottom; ++row) {
                const MessageInfo *m = messageAt(row);
                add(m ? m->queueId : QString());
            }
            continue;
        }
        // Copy the first key: reading the last row's page may evict the first's.
        const MessageInfo *m = messageAt(top);
        if (!m)
            continue;
        const rd::queue::QueueKey first = rd::queue::QueueKey::of(*m);
        m = messageAt(bottom);
        if (!m)
            continue;
        const QStringList between = m_reader->queueIds(m_filter, first, rd::queue::QueueKey::of(*m));
        for (const QString &id : between)
            add(id);
    }
    return ids;
}

void QueueModel::tickTimes()
{
    if (m_count > 0)
        emit dataChanged(index(0, Age), index(m_count - 1, NextAttempt),
                         {Qt::DisplayRole, Qt::ToolTipRole});
}

} // namespace rd::ui
