#pragma once
// Ordered table of send connectors (first match wins), transactional like
// ListenerModel: load() takes the connectors in force; rows are edited whole
// through setConnector() (the editor dialog), added, removed and moved;
// revertAll() restores what was loaded. After every change the whole list is
// checked with rd::config::validateSendConnectors() and each sentence is put
// on its row and the cell it is about (ErrorRole, red background, tooltip).
// Passwords are carried through unchanged and never shown (AuthUser shows the
// user only). Thread: GUI thread only. No I/O.

#include "config/sendconnector.h"

#include <QAbstractTableModel>
#include <QList>
#include <QStringList>
#include <QVector>

namespace rd::ui {

class SendConnectorModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Name,
        Domains,  // "example.com, *.example.com"
        Route,    // "Smart host" | "MX lookup"
        Hosts,    // smart hosts in failover order; "(MX records)" for MX routes
        Tls,      // policy label, "+ implicit" when implicitTls
        AuthUser, // the user, "" for none; never the password
        Limits,   // "10 conn, 100 msg/conn, 30/300 s"
        ColumnCount
    };

    enum DataRole {
        ConnectorRole = Qt::UserRole + 1, // rd::config::SendConnectorConfig (the row as edited)
        ErrorRole,                        // QString: the sentences about this cell, "" when valid
        RowErrorRole,                     // QString: the sentences about this row
        DirtyRole,                        // bool: added, changed or moved since load()
        NewRole                           // bool: added since load()
    };

    enum Preset {
        BlankPreset,          // "*" to a smart host to fill in
        Microsoft365Preset,   // smtp.office365.com:587, STARTTLS required, AUTH
        GmailPreset,          // smtp.gmail.com:587, STARTTLS required, AUTH
        DirectMxPreset,       // route mx, opportunistic TLS
        InternalPreset,       // an internal smart host on port 25, opportunistic TLS
        PresetCount
    };

    explicit SendConnectorModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    bool removeRows(int row, int count, const QModelIndex &parent = {}) override;
    // Moves one row (count 1) within the table; the order is the routing order.
    bool moveRows(const QModelIndex &sourceParent, int sourceRow, int count, const QModelIndex &destinationParent,
                  int destinationChild) override;

    // Replaces everything (one model reset); nothing is dirty after.
    void load(const QList<rd::config::SendConnectorConfig> &connectors);
    void revertAll();
    // Appends a connector; returns its row.
    int addConnector(const rd::config::SendConnectorConfig &connector);
    // Replaces row `row` with `connector` (as the editor returns it).
    bool setConnector(int row, const rd::config::SendConnectorConfig &connector);
    // Moves row `row` one place up (-1) or down (+1); false at the ends.
    bool moveRow(int row, int delta);

    rd::config::SendConnectorConfig connector(int row) const { return m_rows.at(row).current; }
    // The rows as edited, in routing order.
    QList<rd::config::SendConnectorConfig> connectors() const;
    QList<rd::config::SendConnectorConfig> loadedConnectors() const { return m_loaded; }
    bool isDirty() const { return connectors() != m_loaded; }
    bool hasErrors() const { return !m_errors.isEmpty(); }
    // validateSendConnectors()' sentences for the rows as edited, capitalized.
    QStringList errors() const { return m_errors; }

    // A new connector of the given kind, its name made unique among the rows.
    rd::config::SendConnectorConfig preset(Preset preset) const;
    static QString presetLabel(Preset preset);
    static QString tlsLabel(const QString &policy);
    static QString routeLabel(const QString &route);
    static const QStringList &tlsPolicies();
    // The column a validateSendConnectors() sentence is about (Name if unsure).
    static int columnForError(const QString &sentence);
    // Validation sentences read better capitalized: "Send connector 2 (...): ...".
    static QString sentence(const QString &error);

signals:
    // After any change: dirty state or errors may have changed.
    void stateChanged();

private:
    struct Row {
        rd::config::SendConnectorConfig current;
        rd::config::SendConnectorConfig original; // meaningful unless isNew
        int loadedRow = -1;                         // -1 for new rows
        bool isNew = false;
        bool moved = false;                         // its place among the loaded rows changed
        bool dirty() const { return isNew || moved || current != original; }
        QString errors[ColumnCount];
    };

    QString displayText(const Row &r, int column) const;
    void validateAll();
    void changed();
    QString uniqueName(const QString &base) const;

    QVector<Row> m_rows;
    QList<rd::config::SendConnectorConfig> m_loaded;
    QStringList m_errors;
};

} // namespace rd::ui
