#include "config/dkimkeystore.h"

#include "mailauth/dkimkey.h"
#include "storage/database.h"

#include <QRegularExpression>
#include <QSqlError>
#include <QSqlQuery>
#include <QUrl>
#include <QVariant>

namespace rd::config {
namespace {

bool validLabel(const QString &label)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"));
    return re.match(label).hasMatch();
}

DkimKeyInfo describe(const QString &domain, const QString &selector, const QString &algorithm,
                     const QByteArray &pem, qint64 createdMs, bool enabled)
{
    DkimKeyInfo info;
    info.domain = domain;
    info.selector = selector;
    info.algorithm = algorithm;
    info.created = QDateTime::fromMSecsSinceEpoch(createdMs, Qt::UTC);
    info.enabled = enabled;
    info.dnsName = selector + QStringLiteral("._domainkey.") + domain;
    QString why;
    const std::optional<mailauth::DkimKey> key = mailauth::DkimKey::fromPem(pem, &why);
    if (!key) {
        info.problem = QStringLiteral("The stored key cannot be read: %1").arg(why);
        return info;
    }
    info.bits = key->bits();
    info.dnsRecord = key->dnsRecord();
    return info;
}

} // namespace

DkimKeyStore::DkimKeyStore(const QString &dataDir)
    : m_connection(storage::uniqueConnectionName(QStringLiteral("dkimkeys")))
{
    storage::OpenOptions opts;
    opts.durability = storage::Durability::Full;
    QSqlDatabase db = storage::openDatabase(dataDir, storage::DbKind::Config, m_connection, opts, &m_error);
    m_open = db.isValid() && db.isOpen();
}

DkimKeyStore::~DkimKeyStore()
{
    storage::closeDatabase(m_connection);
}

QString DkimKeyStore::normalizeDomain(const QString &domain)
{
    QString d = domain.trimmed().toLower();
    if (d.endsWith(QLatin1Char('.')))
        d.chop(1);
    const QByteArray ace = QUrl::toAce(d);
    return ace.isEmpty() ? d : QString::fromLatin1(ace);
}

QString DkimKeyStore::validateDomain(const QString &domain)
{
    const QString d = normalizeDomain(domain);
    if (d.isEmpty())
        return QStringLiteral("The domain is empty.");
    if (d.size() > 253)
        return QStringLiteral("The domain is longer than 253 characters.");
    const QStringList labels = d.split(QLatin1Char('.'));
    if (labels.size() < 2)
        return QStringLiteral("\"%1\" is not a domain name (it needs at least two labels, e.g. example.com).")
            .arg(domain.trimmed());
    for (const QString &l : labels) {
        if (!validLabel(l))
            return QStringLiteral("\"%1\" is not a valid domain name (label \"%2\").").arg(domain.trimmed(), l);
    }
    return {};
}

QString DkimKeyStore::validateSelector(const QString &selector)
{
    if (selector.isEmpty())
        return QStringLiteral("The selector is empty.");
    if (selector.size() > 63 * 2)
        return QStringLiteral("The selector is too long.");
    for (const QString &l : selector.split(QLatin1Char('.'))) {
        if (!validLabel(l))
            return QStringLiteral("\"%1\" is not a valid selector: use letters, digits and hyphens (e.g. "
                                  "\"rd2026\"), dots only between labels.")
                .arg(selector);
    }
    return {};
}

bool DkimKeyStore::generate(const QString &domain, const QString &selector, const QString &algorithm, int bits,
                            DkimKeyInfo *created, QString *error)
{
    QString why = validateDomain(domain);
    if (why.isEmpty())
        why = validateSelector(selector);
    if (!why.isEmpty()) {
        if (error)
            *error = why;
        return false;
    }
    const std::optional<mailauth::DkimKey> key = mailauth::DkimKey::generate(algorithm, bits, &why);
    if (!key) {
        if (error)
            *error = why;
        return false;
    }
    return insert(domain, selector, key->algorithm, key->privateKeyPem(), created, error);
}

bool DkimKeyStore::importPem(const QString &domain, const QString &selector, const QByteArray &pem,
                             DkimKeyInfo *created, QString *error)
{
    QString why = validateDomain(domain);
    if (why.isEmpty())
        why = validateSelector(selector);
    if (!why.isEmpty()) {
        if (error)
            *error = why;
        return false;
    }
    const std::optional<mailauth::DkimKey> key = mailauth::DkimKey::fromPem(pem, &why);
    if (!key) {
        if (error)
            *error = QStringLiteral("The key cannot be read: %1").arg(why);
        return false;
    }
    if (key->algorithm == QLatin1String("rsa-sha256") && key->bits() < 2048) {
        if (error)
            *error = QStringLiteral("The RSA key has %1 bits; signing needs 2048 bits or more (RFC 8301 allows "
                                    "1024 only for verifying old signatures).")
                         .arg(key->bits());
        return false;
    }
    return insert(domain, selector, key->algorithm, key->privateKeyPem(), created, error);
}

bool DkimKeyStore::insert(const QString &domain, const QString &selector, const QString &algorithm,
                          const QByteArray &pem, DkimKeyInfo *created, QString *error)
{
    const QString d = normalizeDomain(domain);
    const QString s = selector.toLower();
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT 1 FROM dkim_keys WHERE domain = ? AND selector = ?"));
    q.addBindValue(d);
    q.addBindValue(s);
    if (q.exec() && q.next()) {
        if (error)
            *error = QStringLiteral("There is already a key for selector \"%1\" of %2; remove it first or use "
                                    "another selector (a new selector lets both keys live during a rollover).")
                         .arg(s, d);
        return false;
    }
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    q.prepare(QStringLiteral("INSERT INTO dkim_keys (domain, selector, algorithm, private_key, created, enabled)"
                             " VALUES (?, ?, ?, ?, ?, 1)"));
    q.addBindValue(d);
    q.addBindValue(s);
    q.addBindValue(algorithm);
    q.addBindValue(QString::fromLatin1(pem));
    q.addBindValue(now);
    if (!q.exec()) {
        if (error)
            *error = QStringLiteral("Saving the key failed: %1").arg(q.lastError().text());
        return false;
    }
    if (created)
        *created = describe(d, s, algorithm, pem, now, true);
    return true;
}

bool DkimKeyStore::setEnabled(const QString &domain, const QString &selector, bool enabled, QString *error)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("UPDATE dkim_keys SET enabled = ? WHERE domain = ? AND selector = ?"));
    q.addBindValue(enabled ? 1 : 0);
    q.addBindValue(normalizeDomain(domain));
    q.addBindValue(selector.toLower());
    if (!q.exec() || q.numRowsAffected() != 1) {
        if (error)
            *error = q.lastError().isValid() ? q.lastError().text()
                                             : QStringLiteral("There is no key %1 for %2.").arg(selector, domain);
        return false;
    }
    return true;
}

bool DkimKeyStore::remove(const QString &domain, const QString &selector, QString *error)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("DELETE FROM dkim_keys WHERE domain = ? AND selector = ?"));
    q.addBindValue(normalizeDomain(domain));
    q.addBindValue(selector.toLower());
    if (!q.exec() || q.numRowsAffected() != 1) {
        if (error)
            *error = q.lastError().isValid() ? q.lastError().text()
                                             : QStringLiteral("There is no key %1 for %2.").arg(selector, domain);
        return false;
    }
    return true;
}

QList<DkimKeyInfo> DkimKeyStore::list(QString *error) const
{
    QList<DkimKeyInfo> out;
    QSqlQuery q(QSqlDatabase::database(m_connection));
    if (!q.exec(QStringLiteral("SELECT domain, selector, algorithm, private_key, created, enabled FROM dkim_keys"
                               " ORDER BY domain, selector"))) {
        if (error)
            *error = q.lastError().text();
        return out;
    }
    while (q.next()) {
        out << describe(q.value(0).toString(), q.value(1).toString(), q.value(2).toString(),
                        q.value(3).toString().toLatin1(), q.value(4).toLongLong(), q.value(5).toInt() != 0);
    }
    return out;
}

QList<DkimSigningKey> DkimKeyStore::signingKeys(QString *error) const
{
    QList<DkimSigningKey> out;
    QSqlQuery q(QSqlDatabase::database(m_connection));
    if (!q.exec(QStringLiteral("SELECT domain, selector, algorithm, private_key FROM dkim_keys WHERE enabled = 1"
                               " ORDER BY domain, selector"))) {
        if (error)
            *error = q.lastError().text();
        return out;
    }
    while (q.next()) {
        out << DkimSigningKey{q.value(0).toString(), q.value(1).toString(), q.value(2).toString(),
                              q.value(3).toString().toLatin1()};
    }
    return out;
}

} // namespace rd::config
