#pragma once
// The transactional, ordered table behind the rate limit, content rule and
// DNSBL zone editors (like Wireshark's uat_model): load() takes the list in
// force; rows are edited, added, removed and moved; revertAll() restores what
// was loaded; items() is what the panel applies. After every change the whole
// list is checked with the core validator (validate()) and each sentence is
// put on the row whose errorPrefix() it starts with ("rate limit 3: ") and the
// cell it is about (columnForError()): red background, tooltip, ErrorRole.
// Changed, added and moved rows are italic and marked "*" / "+" in the
// vertical header. Thread: GUI thread only. No I/O.
//
// PolicyTableBase carries the signal and the roles (moc cannot handle a
// template); PolicyListModel<T> the rows of value type T (needs operator==).

#include <QAbstractTableModel>
#include <QBrush>
#include <QColor>
#include <QFont>
#include <QList>
#include <QStringList>
#include <QVector>

#include <algorithm>

namespace rd::ui {

class PolicyTableBase : public QAbstractTableModel {
    Q_OBJECT
public:
    enum DataRole {
        ErrorRole = Qt::UserRole + 1, // QString: the sentences about this cell, "" when valid
        RowErrorRole,                 // QString: the sentences about this row
        DirtyRole,                    // bool: added, changed or moved since load()
        NewRole,                      // bool: added since load()
        ChoicesRole,                  // QVariantList of QVariantList{label, value}: a combo box edits the cell
        FirstCustomRole = Qt::UserRole + 32
    };

    // "the pattern is empty" -> "The pattern is empty".
    static QString capitalized(const QString &s);

signals:
    // After any change: the dirty state or the errors may have changed.
    void stateChanged();

protected:
    explicit PolicyTableBase(QObject *parent = nullptr)
        : QAbstractTableModel(parent)
    {
    }
};

template <typename T>
class PolicyListModel : public PolicyTableBase {
public:
    int rowCount(const QModelIndex &parent = {}) const override { return parent.isValid() ? 0 : int(m_rows.size()); }

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override
    {
        if (!index.isValid() || !checkIndex(index, CheckIndexOption::ParentIsInvalid))
            return {};
        const Row &r = m_rows.at(index.row());
        const QString error = r.errors.value(index.column());
        switch (role) {
        case Qt::ToolTipRole:
            if (!error.isEmpty())
                return error;
            break;
        case Qt::BackgroundRole:
            if (!error.isEmpty())
                return QBrush(QColor(255, 205, 205));
            break;
        case Qt::ForegroundRole:
            if (!error.isEmpty())
                return QBrush(QColor(120, 0, 0));
            break;
        case Qt::FontRole:
            if (r.dirty()) {
                QFont f;
                f.setItalic(true);
                return f;
            }
            break;
        case ErrorRole: return error;
        case RowErrorRole: return r.errors.join(QLatin1Char('\n')).trimmed();
        case DirtyRole: return r.dirty();
        case NewRole: return r.isNew;
        default: break;
        }
        return cellData(r.current, index.column(), role);
    }

    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override
    {
        if (orientation == Qt::Vertical) {
            if (section < 0 || section >= m_rows.size())
                return {};
            const Row &r = m_rows.at(section);
            if (role == Qt::DisplayRole)
                return r.isNew ? QStringLiteral("+") : r.dirty() ? QStringLiteral("*") : QString::number(section + 1);
            if (role == Qt::ToolTipRole)
                return r.isNew ? tr("New, not applied yet") : r.dirty() ? tr("Changed or moved, not applied yet")
                                                                         : QVariant();
            return {};
        }
        if (section < 0 || section >= columnCount())
            return {};
        if (role == Qt::DisplayRole)
            return columnTitle(section);
        if (role == Qt::ToolTipRole)
            return columnTip(section);
        return {};
    }

    bool removeRows(int row, int count, const QModelIndex &parent = {}) override
    {
        if (parent.isValid() || row < 0 || count <= 0 || row + count > m_rows.size())
            return false;
        beginRemoveRows({}, row, row + count - 1);
        m_rows.remove(row, count);
        endRemoveRows();
        changed();
        return true;
    }

    bool moveRows(const QModelIndex &sourceParent, int sourceRow, int count, const QModelIndex &destinationParent,
                  int destinationChild) override
    {
        const int n = int(m_rows.size());
        if (sourceParent.isValid() || destinationParent.isValid() || count != 1 || sourceRow < 0 || sourceRow >= n
            || destinationChild < 0 || destinationChild > n || destinationChild == sourceRow
            || destinationChild == sourceRow + 1)
            return false;
        if (!beginMoveRows({}, sourceRow, sourceRow, {}, destinationChild))
            return false;
        const Row moved = m_rows.takeAt(sourceRow);
        m_rows.insert(destinationChild > sourceRow ? destinationChild - 1 : destinationChild, moved);
        endMoveRows();
        changed();
        return true;
    }

    // Moves row `row` one place up (-1) or down (+1); false at the ends.
    bool moveRow(int row, int delta)
    {
        if (delta == -1)
            return moveRows({}, row, 1, {}, row - 1);
        if (delta == 1)
            return moveRows({}, row, 1, {}, row + 2);
        return false;
    }

    // Replaces every row (one model reset); nothing is dirty after.
    void load(const QList<T> &items)
    {
        beginResetModel();
        m_loaded = items;
        m_rows.clear();
        for (int i = 0; i < items.size(); ++i) {
            Row r;
            r.current = r.original = items.at(i);
            r.loadedRow = i;
            m_rows.append(r);
        }
        validateAll();
        endResetModel();
        emit stateChanged();
    }
    void revertAll() { load(m_loaded); }

    // Appends `item` (invalid items are allowed: they are marked); returns its row.
    int addItem(const T &item)
    {
        const int row = int(m_rows.size());
        beginInsertRows({}, row, row);
        Row r;
        r.current = item;
        r.isNew = true;
        m_rows.append(r);
        endInsertRows();
        changed();
        return row;
    }
    // Replaces row `row`; false if there is no such row.
    bool setItem(int row, const T &item)
    {
        if (row < 0 || row >= m_rows.size())
            return false;
        if (m_rows.at(row).current == item)
            return true;
        m_rows[row].current = item;
        changed();
        return true;
    }
    T item(int row) const { return m_rows.value(row).current; }
    // The rows as edited, in order.
    QList<T> items() const
    {
        QList<T> out;
        out.reserve(m_rows.size());
        for (const Row &r : m_rows)
            out << r.current;
        return out;
    }
    QList<T> loadedItems() const { return m_loaded; }
    bool isDirty() const { return items() != m_loaded; }
    bool hasErrors() const { return !m_errors.isEmpty(); }
    // The validator's sentences for the rows as edited, capitalized.
    QStringList errors() const { return m_errors; }
    // The sentences about row `row` ("" when valid).
    QString rowErrors(int row) const { return data(index(row, 0), RowErrorRole).toString(); }

protected:
    explicit PolicyListModel(QObject *parent = nullptr)
        : PolicyTableBase(parent)
    {
    }

    // The core validator for the whole list.
    virtual QStringList validate(const QList<T> &items) const = 0;
    // How the validator names row `row` at the start of its sentences
    // ("content rule 2 (spam words): ").
    virtual QString errorPrefix(int row, const T &item) const = 0;
    // The column a sentence (without its prefix) is about.
    virtual int columnForError(const QString &text) const
    {
        Q_UNUSED(text);
        return 0;
    }
    virtual QVariant cellData(const T &item, int column, int role) const = 0;
    virtual QString columnTitle(int column) const = 0;
    virtual QString columnTip(int column) const
    {
        Q_UNUSED(column);
        return {};
    }

private:
    struct Row {
        T current;
        T original; // meaningful unless isNew
        int loadedRow = -1;
        bool isNew = false;
        bool moved = false;
        QStringList errors; // per column
        bool dirty() const { return isNew || moved || !(current == original); }
    };

    void validateAll()
    {
        // Moved: the loaded rows that remain are no longer in their loaded order.
        QVector<int> sorted;
        for (const Row &r : m_rows) {
            if (!r.isNew)
                sorted << r.loadedRow;
        }
        std::sort(sorted.begin(), sorted.end());
        int k = 0;
        for (Row &r : m_rows) {
            if (!r.isNew)
                r.moved = sorted.at(k++) != r.loadedRow;
        }
        const int columns = columnCount();
        for (Row &r : m_rows) {
            r.errors.clear();
            for (int c = 0; c < columns; ++c)
                r.errors << QString();
        }
        m_errors.clear();
        const QList<T> list = items();
        QStringList prefixes;
        for (int i = 0; i < list.size(); ++i)
            prefixes << errorPrefix(i, list.at(i));
        const QStringList all = validate(list);
        for (const QString &e : all) {
            m_errors << capitalized(e);
            for (int row = 0; row < prefixes.size(); ++row) {
                if (!e.startsWith(prefixes.at(row)))
                    continue;
                const QString text = capitalized(e.mid(prefixes.at(row).size()));
                const int column = std::clamp(columnForError(text), 0, columns - 1);
                QString &cell = m_rows[row].errors[column];
                cell = cell.isEmpty() ? text : cell + QLatin1Char('\n') + text;
                break;
            }
        }
    }

    void changed()
    {
        validateAll();
        if (!m_rows.isEmpty()) {
            emit dataChanged(index(0, 0), index(int(m_rows.size()) - 1, columnCount() - 1));
            emit headerDataChanged(Qt::Vertical, 0, int(m_rows.size()) - 1);
        }
        emit stateChanged();
    }

    QVector<Row> m_rows;
    QList<T> m_loaded;
    QStringList m_errors;
};

} // namespace rd::ui
