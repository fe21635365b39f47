#pragma once
// Editable table of receive connectors (listeners), transactional like
// Wireshark's uat_model: load() takes the listeners in force; edits are kept
// per row next to the loaded values (dirty marks), every cell is validated
// after each change (per-cell errors: red background, tooltip, ErrorRole),
// revertAll() restores what was loaded. listeners() is what the panel applies.
//
// Validation: name not empty and unique; address an IPv4/IPv6 address; port
// 1-65535 and not used twice on the same address (a wildcard 0.0.0.0 / ::
// clashes with every address of its family on that port, as bind() does);
// a TLS mode needs a certificate, and a certificate must exist in the store
// once the store's list is known (setCertificates()); the limits are 0 (the
// global smtp.* setting, shown as "global (N)" after setGlobalLimits()) or in
// the ranges of ConfigSnapshot::validate() (see ListenerLimits).
// Directory relay groups (issue #10): setData() takes the DNs as a QStringList
// or as text, one DN per line (parseGroupList()), and refuses the edit (returns
// false, nothing changes) when a DN is not one (dnProblem()); groupsProblem()
// gives the sentence for an editor to show.
// Load balancers (PROXY protocol): setData() takes the addresses or CIDR ranges
// as a QStringList or as text separated by commas or blanks (parseProxyList());
// an entry rd::util::CidrList::parse() refuses refuses the edit (returns false,
// nothing changes); proxyProblem() gives the sentence.
// Columns not shown (relayAllow, relayDeny) are carried through unchanged.
// Thread: GUI thread only. No I/O.

#include "config/configsnapshot.h"
#include "tls/certificateinfo.h"

#include <QAbstractTableModel>
#include <QList>
#include <QStringList>
#include <QVector>

namespace rd::ui {

class ListenerModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Name,
        Address,       // "127.0.0.1", "::", "0.0.0.0"
        Port,
        Mode,          // label; EditRole/RawValueRole: "plain" | "starttls_required" | "implicit_tls"
        Role,          // label; EditRole/RawValueRole: "relay" | "submission"
        Certificate,   // "name (CN)"; EditRole/RawValueRole: the store id, "" for none
        PlaintextAuth, // check box (Qt::CheckStateRole)
        MaxMessageSize,   // "35 MB", "global (35 MB)"; EditRole/RawValueRole: octets (qint64), 0 = global
        MaxRecipients,    // "100", "global (100)"; EditRole/RawValueRole: int, 0 = global
        MaxSessionsPerIp, // "20", "global (20)"; EditRole/RawValueRole: int, 0 = global
        RelayGroups,      // the groups' CNs, "default (directory.relay_groups)" when empty;
                          // EditRole: the DNs one per line; RawValueRole: QStringList of DNs
        SenderCheck,      // check box (Qt::CheckStateRole): directory users send as their own addresses only
        ProxyFrom,        // the load balancers sending a PROXY header, ", "-joined, "none" when empty;
                          // EditRole: the entries ", "-joined; RawValueRole: QStringList
        ColumnCount
    };

    // Raw values, independent of the index's column (except RawValueRole).
    enum DataRole {
        RawValueRole = Qt::UserRole + 1, // the raw value behind the cell's column
        NameRole,                        // QString
        AddressRole,                     // QString
        PortRole,                        // int
        ModeRole,                        // QString
        ListenerRoleRole,                // QString ("relay" | "submission")
        CertificateIdRole,               // QString, "" for none
        PlaintextAuthRole,               // bool
        ListenerConfigRole,              // rd::config::ListenerConfig (the row as edited)
        ErrorRole,                       // QString: this cell's error, "" when valid
        RowErrorRole,                    // QString: the row's first error, "" when valid
        DirtyRole,                       // bool: the row was added or changed since load()
        CellDirtyRole,                   // bool: this cell differs from what was loaded
        NewRole,                         // bool: the row was added since load()
        ChoicesRole,                     // QVariantList of {"value", "label"} maps for combo editors
        EffectiveLimitRole,              // qint64, limit columns: the value in force (the global one for 0)
        RelayGroupsRole,                 // QStringList: the directory relay group DNs ("" list: the global setting)
        SenderCheckRole,                 // bool
        ProxyFromRole                    // QStringList: addresses/CIDR ranges of PROXY-protocol load balancers
    };

    enum Preset {
        RelayPreset,              // port 25, plain (STARTTLS offered with a certificate), relay
        SubmissionPreset,         // port 587, STARTTLS required, submission (AUTH required)
        SubmissionTlsPreset,      // port 465, implicit TLS, submission
        PresetCount
    };

    explicit ListenerModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    // Removes rows (loaded rows count as a change until revertAll()).
    bool removeRows(int row, int count, const QModelIndex &parent = {}) override;

    // Replaces everything with `listeners` (one model reset); nothing is dirty after.
    void load(const QList<rd::config::ListenerConfig> &listeners);
    // Keeps the edits but takes the columns this model does not edit (relay
    // lists) from `inForce`, matching rows by the name, address and port they
    // were loaded with. For when another panel applied while this one has edits.
    void rebase(const QList<rd::config::ListenerConfig> &inForce);
    // Restores what load() was given; clears every dirty mark.
    void revertAll();
    // Appends a listener and returns its row.
    int addListener(const rd::config::ListenerConfig &listener);

    // The rows as edited, in order.
    QList<rd::config::ListenerConfig> listeners() const;
    // The rows as loaded.
    QList<rd::config::ListenerConfig> loadedListeners() const { return m_loaded; }
    bool isDirty() const;
    bool hasErrors() const { return m_errorCount > 0; }
    int errorCount() const { return m_errorCount; }
    // One sentence per invalid cell: "row 2 (\"relay\"), Port: ...".
    QStringList errors() const;

    // The certificates the Certificate column offers; until this is called the
    // model does not know the store's contents and accepts any certificate id.
    void setCertificates(const QList<rd::tls::CertificateInfo> &certificates);
    bool certificatesKnown() const { return m_certificatesKnown; }
    const QList<rd::tls::CertificateInfo> &certificates() const { return m_certificates; }
    // The global smtp.* limits, shown for the listeners whose limit is 0.
    // The panel takes them from each loaded configuration.
    void setGlobalLimits(qint64 maxMessageSize, int maxRecipients, int maxSessionsPerIp);

    // "name (CN)" for a stored certificate, the id for an unknown one, "" for none.
    QString certificateLabel(const QString &id) const;

    // A new listener of the given kind. The name is made unique among the
    // current rows; certificateId may be "" (then TLS presets show an error
    // until a certificate is chosen).
    rd::config::ListenerConfig preset(Preset preset, const QString &certificateId = {}) const;
    static QString presetLabel(Preset preset);
    static QString modeLabel(const QString &mode);
    static QString roleLabel(const QString &role);
    static const QStringList &modes();
    static const QStringList &roles();
    // The first RDN's value of each DN ("CN=Relay senders,OU=Groups,..." ->
    // "Relay senders"), joined with ", ".
    static QString groupsLabel(const QStringList &dns);
    static QString groupLabel(const QString &dn);
    // The first problem of a relay group list (the DN and why), "" when every DN is valid.
    static QString groupsProblem(const QStringList &dns);
    // Splits text at commas and blanks; empty entries and duplicates are dropped.
    static QStringList parseProxyList(const QString &text);
    // Why rd::util::CidrList::parse() refuses the list, "" when it is valid.
    static QString proxyProblem(const QStringList &entries);

signals:
    // After any edit, load, revert, add or remove: dirty state or errors may
    // have changed. The panel updates its buttons and status from here.
    void stateChanged();

private:
    struct Row {
        rd::config::ListenerConfig current;
        rd::config::ListenerConfig original; // meaningful unless isNew
        bool isNew = false;
        QString errors[ColumnCount];
    };

    QVariant rawValue(const rd::config::ListenerConfig &l, int column) const;
    qint64 globalLimit(int column) const;
    bool cellDirty(const Row &r, int column) const;
    bool rowDirty(const Row &r) const;
    void validateAll();
    void emitAllChanged();
    QString uniqueName(const QString &base) const;

    QVector<Row> m_rows;
    QList<rd::config::ListenerConfig> m_loaded;
    int m_errorCount = 0;
    QList<rd::tls::CertificateInfo> m_certificates;
    bool m_certificatesKnown = false;
    qint64 m_globalLimits[3] = {0, 0, 0}; // MaxMessageSize, MaxRecipients, MaxSessionsPerIp
};

} // namespace rd::ui
