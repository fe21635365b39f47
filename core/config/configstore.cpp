#include "config/configstore.h"

#include "storage/database.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlError>
#include <QSqlQuery>

namespace rd::config {
namespace {

QStringList fromJsonArray(const QString &text)
{
    QStringList out;
    for (const QJsonValue &v : QJsonDocument::fromJson(text.toUtf8()).array())
        out << v.toString();
    return out;
}

QString toJsonArray(const QStringList &list)
{
    return QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(list)).toJson(QJsonDocument::Compact));
}

} // namespace

ConfigStore::ConfigStore(const QString &dataDir)
    : m_connection(storage::uniqueConnectionName(QStringLiteral("config")))
{
    storage::OpenOptions opts;
    opts.durability = storage::Durability::Full;
    QSqlDatabase db = storage::openDatabase(dataDir, storage::DbKind::Config, m_connection, opts, &m_error);
    m_open = db.isValid() && db.isOpen();
}

ConfigStore::~ConfigStore()
{
    storage::closeDatabase(m_connection);
}

ConfigSnapshot ConfigStore::load(QStringList *warnings)
{
    ConfigSnapshot cfg;
    if (!m_open)
        return cfg;
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    QList<DnsblZone> legacyZones;
    QSqlQuery q(db);
    q.exec(QStringLiteral("SELECT key, value FROM settings"));
    while (q.next()) {
        const QString key = q.value(0).toString();
        QString why;
        if (key == QLatin1String("dnsbl.zones")) {
            // Before schema v8 the DNS checks' block lists were one setting: they become dnsbl_zones rows.
            for (const QString &z : q.value(1).toString().split(QLatin1Char(','), Qt::SkipEmptyParts))
                legacyZones << DnsblZone{z.trimmed().toLower(), QString(), true};
            continue;
        }
        const SettingDef *def = findSetting(key);
        QVariant raw = q.value(1).toString();
        if (def && def->type == SettingType::Bool)
            raw = q.value(1).toString();
        if (!cfg.setValue(key, raw, &why) && warnings)
            *warnings << QStringLiteral("config.db: %1 (using the default)").arg(why);
    }
    QSqlQuery l(db);
    l.exec(QStringLiteral("SELECT name, address, port, relay_allow, relay_deny, mode, role, certificate,"
                          " allow_plaintext_auth, max_message_size, max_recipients, max_sessions_per_ip,"
                          " relay_groups, sender_check, proxy_from FROM listeners ORDER BY id"));
    QList<ListenerConfig> listeners;
    bool any = false;
    while (l.next()) {
        any = true;
        ListenerConfig lc;
        lc.name = l.value(0).toString();
        lc.address = l.value(1).toString();
        lc.port = quint16(l.value(2).toUInt());
        lc.relayAllow = fromJsonArray(l.value(3).toString());
        lc.relayDeny = fromJsonArray(l.value(4).toString());
        lc.mode = l.value(5).toString();
        lc.role = l.value(6).toString();
        lc.certificate = l.value(7).toString();
        lc.allowPlaintextAuth = l.value(8).toInt() != 0;
        lc.maxMessageSize = l.value(9).toLongLong();
        lc.maxRecipients = l.value(10).toInt();
        lc.maxSessionsPerIp = l.value(11).toInt();
        lc.relayGroups = l.value(12).toString().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        lc.senderCheck = l.value(13).toInt() != 0;
        lc.proxyFrom = l.value(14).toString().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        listeners << lc;
    }
    if (any)
        cfg.listeners = listeners;
    QSqlQuery d(db);
    d.exec(QStringLiteral("SELECT domain FROM accepted_domains ORDER BY domain"));
    while (d.next())
        cfg.acceptedDomains << d.value(0).toString();
    QString why;
    if (!loadSendConnectors(db, &cfg.sendConnectors, &why) && warnings)
        *warnings << QStringLiteral("config.db: send connectors: %1").arg(why);
    why.clear();
    if ((!loadRateLimits(db, &cfg.rateLimits, &why) || !why.isEmpty()) && warnings)
        *warnings << QStringLiteral("config.db: rate limits: %1").arg(why);
    why.clear();
    if (!loadDnsblZones(db, &cfg.dnsblZones, &why) && warnings)
        *warnings << QStringLiteral("config.db: DNS block lists: %1").arg(why);
    if (cfg.dnsblZones.isEmpty())
        cfg.dnsblZones = legacyZones;
    why.clear();
    if ((!loadContentRules(db, &cfg.contentRules, &why) || !why.isEmpty()) && warnings)
        *warnings << QStringLiteral("config.db: content rules: %1").arg(why);
    why.clear();
    if ((!loadConnectionRules(db, &cfg.connectionRules, &why) || !why.isEmpty()) && warnings)
        *warnings << QStringLiteral("config.db: connection rules: %1").arg(why);
    return cfg;
}

bool ConfigStore::save(const ConfigSnapshot &config)
{
    if (!m_open)
        return false;
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    if (!db.transaction()) {
        m_error = db.lastError().text();
        return false;
    }
    auto fail = [&](const QSqlQuery &q) {
        m_error = QStringLiteral("saving the configuration failed: %1").arg(q.lastError().text());
        db.rollback();
        return false;
    };
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("DELETE FROM settings")))
        return fail(q);
    q.prepare(QStringLiteral("INSERT INTO settings (key, value) VALUES (?, ?)"));
    const QVariantMap &values = config.explicitValues();
    for (auto it = values.begin(); it != values.end(); ++it) {
        q.addBindValue(it.key());
        q.addBindValue(storage::nn(it.value().toString()));
        if (!q.exec())
            return fail(q);
    }
    if (!q.exec(QStringLiteral("DELETE FROM listeners")))
        return fail(q);
    q.prepare(QStringLiteral("INSERT INTO listeners (name, address, port, relay_allow, relay_deny, mode, role,"
                             " certificate, allow_plaintext_auth, max_message_size, max_recipients,"
                             " max_sessions_per_ip, relay_groups, sender_check, proxy_from)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    for (const ListenerConfig &l : config.listeners) {
        q.addBindValue(storage::nn(l.name));
        q.addBindValue(l.address);
        q.addBindValue(int(l.port));
        q.addBindValue(toJsonArray(l.relayAllow));
        q.addBindValue(toJsonArray(l.relayDeny));
        q.addBindValue(storage::nn(l.mode));
        q.addBindValue(storage::nn(l.role));
        q.addBindValue(storage::nn(l.certificate));
        q.addBindValue(l.allowPlaintextAuth ? 1 : 0);
        q.addBindValue(l.maxMessageSize);
        q.addBindValue(l.maxRecipients);
        q.addBindValue(l.maxSessionsPerIp);
        q.addBindValue(storage::nn(l.relayGroups.join(QLatin1Char('\n'))));
        q.addBindValue(l.senderCheck ? 1 : 0);
        q.addBindValue(storage::nn(l.proxyFrom.join(QLatin1Char('\n'))));
        if (!q.exec())
            return fail(q);
    }
    if (!q.exec(QStringLiteral("DELETE FROM accepted_domains")))
        return fail(q);
    q.prepare(QStringLiteral("INSERT INTO accepted_domains (domain) VALUES (?)"));
    for (const QString &d : config.acceptedDomains) {
        q.addBindValue(d);
        if (!q.exec())
            return fail(q);
    }
    QString why;
    if (!saveSendConnectors(db, config.sendConnectors, &why) || !saveRateLimits(db, config.rateLimits, &why)
        || !saveDnsblZones(db, config.dnsblZones, &why) || !saveContentRules(db, config.contentRules, &why)
        || !saveConnectionRules(db, config.connectionRules, &why)) {
        m_error = QStringLiteral("saving the configuration failed: %1").arg(why);
        db.rollback();
        return false;
    }
    if (!db.commit()) {
        m_error = db.lastError().text();
        db.rollback();
        return false;
    }
    return true;
}

bool ConfigStore::saveRefreshToken(const QString &connector, const QString &token, QString *error)
{
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    return config::saveRefreshToken(db, connector, token, error);
}

} // namespace rd::config
