#pragma once
// Table model over the DKIM signing keys as AdminService lists them
// (rd::config::DkimKeyInfo: public facts only, never a private key).
// setKeys() merges by "<selector>._domainkey.<domain>" so the view keeps its
// selection across listings. Disabled keys are shown grey, keys with a
// problem (the stored key cannot be used) red.
// Thread: GUI thread only. No file or crypto work here.

#include "config/dkimkeystore.h"

#include <QAbstractTableModel>
#include <QList>

namespace rd::ui {

class DkimKeyModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Domain, Selector, Algorithm, Bits, Created, Enabled, DnsName, ColumnCount };

    enum Role {
        NameRole = Qt::UserRole + 1, // QString, dnsName (the row's key)
        DomainRole,                  // QString
        SelectorRole,                // QString
        AlgorithmRole,               // QString, "rsa-sha256" / "ed25519-sha256"
        BitsRole,                    // int
        CreatedRole,                 // QDateTime, UTC
        EnabledRole,                 // bool
        RecordRole,                  // QString, the TXT value to publish ("" if unreadable)
        ProblemRole                  // QString, why the key cannot be used ("" when fine)
    };

    explicit DkimKeyModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Replaces the rows, keeping the given order (see the file comment).
    void setKeys(const QList<rd::config::DkimKeyInfo> &keys);
    // Row of the key published at `dnsName`, -1 if none.
    int rowOf(const QString &dnsName) const;
    // The key at `row`; a default (empty) info when out of range.
    rd::config::DkimKeyInfo keyAt(int row) const;

    // "RSA 2048" / "Ed25519".
    static QString algorithmText(const rd::config::DkimKeyInfo &key);

private:
    QList<rd::config::DkimKeyInfo> m_rows;
};

} // namespace rd::ui
