#pragma once
// An editable list of relay-control entries, transactional like Wireshark's
// uat_model: load() takes the entries in force, every row is validated after
// each change (invalid rows: red background, the error as tooltip and in
// ErrorRole), changed and added rows are marked dirty, revertAll() restores
// what was loaded, entries() is what the panel applies.
//
// Kind::Cidr rows are IPv4/IPv6 addresses or CIDR ranges checked with
// rd::util::parseCidr (the same parser the engine uses); the Covers column
// shows the canonical range and its size ("192.168.10.0/24 — 256 addresses").
// Kind::Domain rows are accepted domains ("example.com": no spaces, no '@',
// no trailing dot, at least one dot). In both kinds a repeated entry is an
// error, so every list applied is clean.
// Thread: GUI thread only. No I/O.

#include <QAbstractTableModel>
#include <QStringList>
#include <QVector>

namespace rd::util {
struct CidrRange;
}

namespace rd::ui {

class CidrListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum class Kind { Cidr, Domain };

    enum Column {
        Entry,  // the text as entered (trimmed); editable
        Covers, // "192.168.10.0/24 — 256 addresses", "mail to *@example.com"; the error when invalid
        ColumnCount
    };

    // Raw values, independent of the index's column (except RawValueRole).
    enum DataRole {
        RawValueRole = Qt::UserRole + 1, // Entry: the entry; Covers: CanonicalRole
        EntryRole,                       // QString, as entered (trimmed)
        CanonicalRole,                   // QString: "192.168.10.0/24" or the domain in lower case; "" if invalid
        PrefixRole,                      // int: the prefix length; -1 for domains and invalid rows
        AddressCountRole,                // double: addresses in the range (2^(32|128 - prefix)); 0 if none
        ErrorRole,                       // QString: the row's error, "" when valid
        DirtyRole,                       // bool: the row was added or changed since load()
        NewRole                          // bool: the row was added since load()
    };

    explicit CidrListModel(Kind kind, QObject *parent = nullptr);

    Kind kind() const { return m_kind; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    bool removeRows(int row, int count, const QModelIndex &parent = {}) override;

    // Replaces every row (one model reset); nothing is dirty after.
    void load(const QStringList &entries);
    // Restores what load() was given; clears every dirty mark.
    void revertAll();
    // Appends an entry (empty: a row to fill in, invalid until filled) and returns its row.
    int addEntry(const QString &text = {});

    // The entries as edited (trimmed), in row order.
    QStringList entries() const;
    QStringList loadedEntries() const { return m_loaded; }
    bool isDirty() const { return entries() != m_loaded; }
    bool hasErrors() const { return m_errorCount > 0; }
    int errorCount() const { return m_errorCount; }
    // One sentence per invalid row: "Row 2 (\"10.0.0.0/33\"): prefix length 33 is out of range (0-32)".
    QStringList errors() const;

    // Checks one entry of `kind`. On success returns true and sets *canonical
    // and *covers (the Covers column text); otherwise sets *error.
    static bool checkEntry(Kind kind, const QString &text, QString *canonical, QString *covers, QString *error);
    // "192.168.10.0/24 — 256 addresses", "2001:db8::/32 — 2^96 addresses".
    static QString describeRange(const rd::util::CidrRange &range);

signals:
    // After any edit, load, revert, add or remove: dirty state or errors may have changed.
    void stateChanged();

private:
    struct Row {
        QString text;
        QString original; // meaningful unless isNew
        bool isNew = false;
        QString canonical;
        QString covers;
        QString error;
        int prefix = -1;
        double addresses = 0;
    };

    void validateAll();
    void emitAllChanged();

    Kind m_kind;
    QVector<Row> m_rows;
    QStringList m_loaded;
    int m_errorCount = 0;
};

} // namespace rd::ui
