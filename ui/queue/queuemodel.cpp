#include "queue/queuemodel.h"

#include "queue/queuereader.h"

#include <QColor>
#include <QDateTime>
#include <QLocale>
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
    if (m_pages.size() >= MaxCachedPages) {
        auto oldest = m_pages.begin();
        for (auto i = m_pages.begin(); i != m_pages.end(); ++i) {
            if (i->stamp < oldest->stamp)
                oldest = i;
        }
        m_pages.erase(oldest);
    }
    Page p;
    if (m_reader->isOpen())
        p.rows = m_reader->page(m_filter, page * PageSize, PageSize);
    p.stamp = ++m_tick;
    return *m_pages.insert(page, std::move(p));
}

int QueueModel::findRow(const QString &queueId, int hintRow, int limit) const
{
    // Messages leave the queue (earlier rows disappear, later ones move up)
    // and new ones are appended, so look at the hint's page, then before it.
    static constexpr int offsets[] = {0, -1, 1, -2, 2, -3};
    const int hintPage = hintRow / PageSize;
    for (int d : offsets) {
        const int p = hintPage + d;
        if (p < 0 || p * PageSize >= limit)
            continue;
        const Page &page = loadPage(p);
        for (int i = 0; i < page.rows.size(); ++i) {
            if (page.rows.at(i).queueId == queueId) {
                const int row = p * PageSize + i;
                return row < limit ? row : -1;
            }
        }
    }
    return -1;
}

void QueueModel::reopenIfNeeded()
{
    if (!m_reader->isOpen())
        m_reader = std::make_unique<rd::queue::QueueReader>(m_dataDir);
}

void QueueModel::scheduleRefresh()
{
    if (!m_refreshTimer.isActive())
        m_refreshTimer.start();
}

void QueueModel::refresh()
{
    m_refreshTimer.stop();
    if (m_count == 0 && !m_reader->isOpen()) {
        // Nothing is cached yet, so replacing the reader cannot break an index.
        reopenIfNeeded();
    }
    const int newCount = m_reader->isOpen() ? std::max(0, m_reader->count(m_filter)) : 0;

    // 1. Re-read the rows in place: one layout change in which persistent
    //    indexes follow their message's queue id (or are dropped if it left,
    //    so a selection never silently moves to another message).
    emit layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
    const QModelIndexList from = persistentIndexList();
    QHash<int, QString> oldIds; // old row -> queue id, from the old cache only
    for (const QModelIndex &idx : from) {
        const int row = idx.row();
        if (oldIds.contains(row))
            continue;
        QString id;
        const auto it = m_pages.constFind(row / PageSize);
        if (it != m_pages.constEnd() && row % PageSize < it->rows.size())
            id = it->rows.at(row % PageSize).queueId;
        oldIds.insert(row, id);
    }
    m_pages.clear();
    const int limit = std::min(m_count, newCount); // valid both before and after step 2
    QHash<int, int> newRows;
    for (auto it = oldIds.cbegin(); it != oldIds.cend(); ++it)
        newRows.insert(it.key(), it.value().isEmpty() ? -1 : findRow(it.value(), it.key(), limit));
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
    emit refreshed();
}

void QueueModel::setFilter(const rd::queue::QueueFilter &filter)
{
    if (filter.state == m_filter.state && filter.text == m_filter.text)
        return;
    m_refreshTimer.stop();
    beginResetModel();
    m_filter = filter;
    m_pages.clear();
    reopenIfNeeded();
    m_count = m_reader->isOpen() ? std::max(0, m_reader->count(m_filter)) : 0;
    endResetModel();
    emit refreshed();
}

void QueueModel::tickTimes()
{
    if (m_count > 0)
        emit dataChanged(index(0, Age), index(m_count - 1, NextAttempt),
                         {Qt::DisplayRole, Qt::ToolTipRole});
}

} // namespace rd::ui
