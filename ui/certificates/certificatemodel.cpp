#include "certificates/certificatemodel.h"

#include <QSet>

#include <algorithm>

namespace rd::ui {

using rd::tls::CertificateInfo;

namespace {

bool sameRow(const CertificateInfo &a, const CertificateInfo &b)
{
    return a.id == b.id && a.name == b.name && a.sha256Fingerprint == b.sha256Fingerprint
        && a.chainLength == b.chainLength && a.source == b.source && a.created == b.created;
}

// The CN of an RFC 2253 name ("CN=x, O=y"), or the whole name.
QString commonNameOf(const QString &dn)
{
    for (const QString &part : dn.split(QStringLiteral(", "))) {
        if (part.startsWith(QLatin1String("CN=")))
            return part.mid(3);
    }
    return dn;
}

int severity(CertificateInfo::Expiry e)
{
    switch (e) {
    case CertificateInfo::Ok: return 0;
    case CertificateInfo::Warn30: return 1;
    case CertificateInfo::Warn7: return 2;
    case CertificateInfo::Expired: return 3;
    }
    return 0;
}

} // namespace

CertificateModel::CertificateModel(QObject *parent) : QAbstractTableModel(parent) {}

int CertificateModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int CertificateModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QDateTime CertificateModel::now() const
{
    return m_referenceTime.isValid() ? m_referenceTime : QDateTime::currentDateTimeUtc();
}

void CertificateModel::setReferenceTime(const QDateTime &utc)
{
    m_referenceTime = utc;
    if (!m_rows.isEmpty())
        emit dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

QString CertificateModel::keyText(const CertificateInfo &info)
{
    if (info.keyType.isEmpty())
        return {};
    // "ECDSA P-256" names its size already; "RSA" and "DSA" do not.
    if ((info.keyType == QLatin1String("RSA") || info.keyType == QLatin1String("DSA")) && info.keyBits > 0)
        return QStringLiteral("%1 %2").arg(info.keyType).arg(info.keyBits);
    return info.keyType;
}

QString CertificateModel::daysText(int daysLeft)
{
    if (daysLeft == 0)
        return tr("today");
    if (daysLeft > 0)
        return daysLeft == 1 ? tr("in 1 day") : tr("in %1 days").arg(daysLeft);
    return daysLeft == -1 ? tr("1 day ago") : tr("%1 days ago").arg(-daysLeft);
}

QString CertificateModel::expiresText(const CertificateInfo &info, const QDateTime &now)
{
    if (!info.notAfter.isValid())
        return {};
    const QString date = info.notAfter.toLocalTime().toString(QStringLiteral("yyyy-MM-dd"));
    if (info.expiry(now) == CertificateInfo::Expired)
        return tr("%1 (expired %2)").arg(date, daysText(info.daysLeft(now)));
    return QStringLiteral("%1 (%2)").arg(date, daysText(info.daysLeft(now)));
}

QString CertificateModel::issuerText(const CertificateInfo &info)
{
    if (info.selfSigned)
        return tr("Self-signed");
    return commonNameOf(info.issuer);
}

QColor CertificateModel::expiryForeground(CertificateInfo::Expiry expiry)
{
    switch (expiry) {
    case CertificateInfo::Warn30: return QColor(0x7a, 0x4b, 0x00);
    case CertificateInfo::Warn7:
    case CertificateInfo::Expired: return QColor(0x9b, 0x1c, 0x1c);
    case CertificateInfo::Ok: break;
    }
    return {};
}

QColor CertificateModel::expiryBackground(CertificateInfo::Expiry expiry)
{
    switch (expiry) {
    case CertificateInfo::Warn30: return QColor(0xff, 0xf0, 0xc2);
    case CertificateInfo::Warn7:
    case CertificateInfo::Expired: return QColor(0xfb, 0xd9, 0xd9);
    case CertificateInfo::Ok: break;
    }
    return {};
}

QVariant CertificateModel::rawValue(const CertificateInfo &info, int column) const
{
    switch (column) {
    case Name: return info.name;
    case Subject: return info.commonName;
    case Sans: return info.sans;
    case Issuer: return info.issuer;
    case Expires: return info.notAfter;
    case Key: return info.keyType;
    case UsedBy: return usedBy(info.id);
    default: return {};
    }
}

QVariant CertificateModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const CertificateInfo &c = m_rows.at(index.row());
    const int column = index.column();

    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case Name: return c.name;
        case Subject: return c.commonName.isEmpty() ? c.subject : c.commonName;
        case Sans: return c.sans.join(QStringLiteral(", "));
        case Issuer: return issuerText(c);
        case Expires: return expiresText(c, now());
        case Key: return keyText(c);
        case UsedBy: {
            const QStringList names = usedBy(c.id);
            return names.isEmpty() ? tr("not used") : names.join(QStringLiteral(", "));
        }
        }
        return {};
    case Qt::ToolTipRole:
        switch (column) {
        case Subject: return c.subject;
        case Sans: return c.sans.join(QLatin1Char('\n'));
        case Issuer: return c.issuer;
        case Expires:
            switch (c.expiry(now())) {
            case CertificateInfo::Expired:
                return tr("This certificate has expired: clients will refuse TLS with it. Import a renewed one.");
            case CertificateInfo::Warn7:
            case CertificateInfo::Warn30:
                return tr("This certificate expires soon: renew it and import the new one.");
            case CertificateInfo::Ok:
                return c.notAfter.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
            }
            return {};
        case Key: return c.keyBits > 0 ? tr("%1 bits").arg(c.keyBits) : QVariant();
        case UsedBy:
            return usedBy(c.id).isEmpty() ? tr("No listener uses this certificate") : QVariant();
        }
        return {};
    case Qt::ForegroundRole: {
        const QColor fg = expiryForeground(c.expiry(now()));
        if (fg.isValid())
            return fg;
        return {};
    }
    case Qt::BackgroundRole: {
        const QColor bg = expiryBackground(c.expiry(now()));
        if (bg.isValid())
            return bg;
        return {};
    }
    case RawValueRole: return rawValue(c, column);
    case IdRole: return c.id;
    case NameRole: return c.name;
    case CommonNameRole: return c.commonName;
    case SubjectRole: return c.subject;
    case SansRole: return c.sans;
    case IssuerRole: return c.issuer;
    case NotBeforeRole: return c.notBefore;
    case NotAfterRole: return c.notAfter;
    case DaysLeftRole: return c.daysLeft(now());
    case ExpiryRole: return int(c.expiry(now()));
    case KeyTypeRole: return c.keyType;
    case KeyBitsRole: return c.keyBits;
    case SelfSignedRole: return c.selfSigned;
    case UsedByRole: return usedBy(c.id);
    }
    return {};
}

QVariant CertificateModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Name: return tr("Name");
    case Subject: return tr("Subject (CN)");
    case Sans: return tr("Alternative names");
    case Issuer: return tr("Issuer");
    case Expires: return tr("Expires");
    case Key: return tr("Key");
    case UsedBy: return tr("Used by");
    }
    return {};
}

void CertificateModel::setCertificates(const QList<CertificateInfo> &certificates)
{
    QSet<QString> incoming;
    for (const CertificateInfo &c : certificates)
        incoming.insert(c.id);

    // 1. Remove rows that are gone (from the bottom, one range at a time).
    for (int r = int(m_rows.size()) - 1; r >= 0;) {
        if (incoming.contains(m_rows.at(r).id)) {
            --r;
            continue;
        }
        int first = r;
        while (first > 0 && !incoming.contains(m_rows.at(first - 1).id))
            --first;
        beginRemoveRows({}, first, r);
        m_rows.erase(m_rows.begin() + first, m_rows.begin() + r + 1);
        endRemoveRows();
        r = first - 1;
    }

    // 2. Update the rows that stay; collect new ones.
    QList<CertificateInfo> added;
    for (const CertificateInfo &c : certificates) {
        const int row = rowOf(c.id);
        if (row < 0) {
            added << c;
        } else if (!sameRow(m_rows.at(row), c)) {
            m_rows[row] = c;
            emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
        }
    }

    // 3. Append the new ones.
    if (!added.isEmpty()) {
        beginInsertRows({}, int(m_rows.size()), int(m_rows.size() + added.size()) - 1);
        m_rows << added;
        endInsertRows();
    }
}

void CertificateModel::setListeners(const QList<rd::config::ListenerConfig> &listeners)
{
    QHash<QString, QStringList> usedBy;
    for (const auto &l : listeners) {
        if (!l.certificate.isEmpty())
            usedBy[l.certificate] << l.name;
    }
    if (usedBy == m_usedBy)
        return;
    m_usedBy = usedBy;
    if (!m_rows.isEmpty())
        emit dataChanged(index(0, UsedBy), index(rowCount() - 1, UsedBy));
}

int CertificateModel::rowOf(const QString &id) const
{
    for (int r = 0; r < m_rows.size(); ++r) {
        if (m_rows.at(r).id == id)
            return r;
    }
    return -1;
}

CertificateInfo CertificateModel::certificateAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows.at(row) : CertificateInfo{};
}

QStringList CertificateModel::usedBy(const QString &id) const
{
    return m_usedBy.value(id);
}

CertificateInfo::Expiry CertificateModel::worstExpiry() const
{
    CertificateInfo::Expiry worst = CertificateInfo::Ok;
    const QDateTime t = now();
    for (const CertificateInfo &c : m_rows) {
        const CertificateInfo::Expiry e = c.expiry(t);
        if (severity(e) > severity(worst))
            worst = e;
    }
    return worst;
}

} // namespace rd::ui
