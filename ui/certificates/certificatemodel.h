#pragma once
// Table model over the stored TLS certificates (rd::tls::CertificateInfo, as
// listed by AdminService::certificatesListed()) and which listeners use each
// (from the configuration). It never holds key material.
//
// Rows whose certificate expires within 30 days are painted amber, within 7
// days or expired red (Qt::BackgroundRole for the row, Qt::ForegroundRole for
// its text); ExpiryRole gives the raw rd::tls::CertificateInfo::Expiry.
// setCertificates() merges by id (changed rows get dataChanged, gone rows are
// removed, new ones appended), so the view's selection stays on its
// certificate. Thread: GUI thread only. No file or crypto work here.

#include "config/configsnapshot.h"
#include "tls/certificateinfo.h"

#include <QAbstractTableModel>
#include <QColor>
#include <QDateTime>
#include <QHash>
#include <QList>

namespace rd::ui {

class CertificateModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Name,
        Subject,  // the subject's common name (full subject in the tooltip)
        Sans,     // "a.example, b.example, 192.0.2.1"
        Issuer,   // the issuer's common name, or "Self-signed"
        Expires,  // "2025-07-01 (in 9 days)"
        Key,      // "RSA 2048", "ECDSA P-256"
        UsedBy,   // listener names
        ColumnCount
    };

    // Raw values, independent of the index's column (except RawValueRole).
    enum Role {
        RawValueRole = Qt::UserRole + 1, // the raw value behind the cell's column
        IdRole,                          // QString, store id
        NameRole,                        // QString
        CommonNameRole,                  // QString
        SubjectRole,                     // QString, full subject
        SansRole,                        // QStringList
        IssuerRole,                      // QString, full issuer
        NotBeforeRole,                   // QDateTime, UTC
        NotAfterRole,                    // QDateTime, UTC
        DaysLeftRole,                    // int, negative once expired
        ExpiryRole,                      // int (rd::tls::CertificateInfo::Expiry)
        KeyTypeRole,                     // QString ("RSA", "ECDSA P-256")
        KeyBitsRole,                     // int
        SelfSignedRole,                  // bool
        UsedByRole                       // QStringList, listener names
    };

    explicit CertificateModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // Replaces the rows (see the file comment); keeps the given order.
    void setCertificates(const QList<rd::tls::CertificateInfo> &certificates);
    // Recomputes the "Used by" column from the listeners' certificate ids.
    void setListeners(const QList<rd::config::ListenerConfig> &listeners);

    // The time expiry is measured against; null (the default) means "now".
    // For tests and screenshots.
    void setReferenceTime(const QDateTime &utc);
    QDateTime now() const;

    int rowOf(const QString &id) const;
    // The certificate at `row`; a null info when out of range.
    rd::tls::CertificateInfo certificateAt(int row) const;
    // Names of the listeners that use certificate `id`.
    QStringList usedBy(const QString &id) const;
    // The worst expiry state over all rows (Ok when there are none).
    rd::tls::CertificateInfo::Expiry worstExpiry() const;

    // Formatting shared with the panel's detail pane and banner.
    static QString keyText(const rd::tls::CertificateInfo &info);
    static QString expiresText(const rd::tls::CertificateInfo &info, const QDateTime &now);
    static QString daysText(int daysLeft); // "in 9 days", "today", "3 days ago"
    static QString issuerText(const rd::tls::CertificateInfo &info);
    // Row colours for an expiry state (invalid for Ok).
    static QColor expiryForeground(rd::tls::CertificateInfo::Expiry expiry);
    static QColor expiryBackground(rd::tls::CertificateInfo::Expiry expiry);

private:
    QVariant rawValue(const rd::tls::CertificateInfo &info, int column) const;

    QList<rd::tls::CertificateInfo> m_rows;
    QHash<QString, QStringList> m_usedBy; // certificate id -> listener names
    QDateTime m_referenceTime;
};

} // namespace rd::ui
