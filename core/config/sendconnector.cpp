#include "config/sendconnector.h"

#include "config/settings.h"
#include "storage/database.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

namespace rd::config {
namespace {

const QStringList kRoutes = {QStringLiteral("smarthost"), QStringLiteral("mx")};
const QStringList kTls = {QStringLiteral("none"), QStringLiteral("opportunistic"), QStringLiteral("required"),
                          QStringLiteral("verify")};

QString normalDomain(QString d)
{
    d = d.trimmed().toLower();
    while (d.endsWith(QLatin1Char('.')))
        d.chop(1);
    return d;
}

bool validDomainName(const QString &d)
{
    if (d.isEmpty() || d.size() > 253)
        return false;
    for (const QString &label : d.split(QLatin1Char('.'))) {
        if (label.isEmpty() || label.size() > 63 || label.startsWith(QLatin1Char('-')) ||
            label.endsWith(QLatin1Char('-')))
            return false;
        for (QChar c : label) {
            if (!(c.isLetterOrNumber() || c == QLatin1Char('-') || c == QLatin1Char('_')))
                return false;
        }
    }
    return true;
}

} // namespace

bool domainMatches(const QString &pattern, const QString &domain)
{
    const QString p = normalDomain(pattern);
    const QString d = normalDomain(domain);
    if (p == QLatin1String("*"))
        return true;
    if (p.startsWith(QLatin1String("*."))) {
        const QStringView suffix = QStringView(p).mid(1); // ".example.com"
        return d.size() > suffix.size() && d.endsWith(suffix);
    }
    return p == d;
}

int routeFor(const QList<SendConnectorConfig> &connectors, const QString &domain)
{
    for (int i = 0; i < connectors.size(); ++i) {
        for (const QString &p : connectors.at(i).domains) {
            if (domainMatches(p, domain))
                return i;
        }
    }
    return -1;
}

QStringList validateSendConnectors(const QList<SendConnectorConfig> &connectors)
{
    QStringList errors;
    QSet<QString> names;
    for (int i = 0; i < connectors.size(); ++i) {
        const SendConnectorConfig &c = connectors.at(i);
        const QString where = QStringLiteral("send connector %1 (\"%2\")").arg(i + 1).arg(c.name);
        if (c.name.trimmed().isEmpty())
            errors << QStringLiteral("%1: a name is required").arg(where);
        if (names.contains(c.name.toLower()))
            errors << QStringLiteral("%1: another send connector has this name").arg(where);
        names.insert(c.name.toLower());
        if (c.domains.isEmpty())
            errors << QStringLiteral("%1: at least one domain (or \"*\") is required").arg(where);
        for (const QString &d : c.domains) {
            const QString n = normalDomain(d);
            const QString bare = n.startsWith(QLatin1String("*.")) ? n.mid(2) : n;
            if (n != QLatin1String("*") && !validDomainName(bare))
                errors << QStringLiteral("%1: \"%2\" is not a domain, *.domain or *").arg(where, d);
        }
        if (!kRoutes.contains(c.route))
            errors << QStringLiteral("%1: route \"%2\" must be smarthost or mx").arg(where, c.route);
        if (c.route == QLatin1String("smarthost") && c.smartHosts.isEmpty())
            errors << QStringLiteral("%1: a smart host (host:port) is required for route smarthost").arg(where);
        for (const QString &h : c.smartHosts) {
            QString host, why;
            quint16 port = 0;
            if (!parseHostPort(h, &host, &port, &why))
                errors << QStringLiteral("%1: smart host \"%2\": %3").arg(where, h, why);
        }
        if (!kTls.contains(c.tls))
            errors << QStringLiteral("%1: tls \"%2\" must be one of %3").arg(where, c.tls, kTls.join(QStringLiteral(", ")));
        if (c.implicitTls && c.tls == QLatin1String("none"))
            errors << QStringLiteral("%1: implicit TLS needs a tls policy other than none").arg(where);
        if (!c.authUser.isEmpty() && c.tls == QLatin1String("none"))
            errors << QStringLiteral("%1: AUTH credentials need TLS (tls must not be none)").arg(where);
        if (!c.authMechanism.isEmpty() && !c.usesOAuth())
            errors << QStringLiteral("%1: auth_mechanism \"%2\" must be empty or oauth2").arg(where, c.authMechanism);
        if (c.usesOAuth()) {
            if (c.tls == QLatin1String("none"))
                errors << QStringLiteral("%1: OAuth 2.0 sign-in needs TLS (tls must not be none)").arg(where);
            if (c.route != QLatin1String("smarthost"))
                errors << QStringLiteral("%1: OAuth 2.0 sign-in needs route smarthost").arg(where);
            if (!c.authUser.isEmpty())
                errors << QStringLiteral("%1: auth_user is for password AUTH; with oauth2 the mailbox is "
                                         "oauth.mailbox").arg(where);
            errors << oauth::validateOAuth(c.oauth, where);
        }
        if (c.connectTimeoutS < 1 || c.connectTimeoutS > 600)
            errors << QStringLiteral("%1: connect_timeout_s must be 1-600").arg(where);
        if (c.commandTimeoutS < 1 || c.commandTimeoutS > 3600)
            errors << QStringLiteral("%1: command_timeout_s must be 1-3600").arg(where);
        if (c.maxConnections < 1 || c.maxConnections > 1000)
            errors << QStringLiteral("%1: max_connections must be 1-1000").arg(where);
        if (c.maxMessagesPerConnection < 1 || c.maxMessagesPerConnection > 100000)
            errors << QStringLiteral("%1: max_messages_per_connection must be 1-100000").arg(where);
    }
    return errors;
}

SendConnectorConfig sendConnectorFromJson(const QJsonObject &o, const QString &where, QStringList *errors)
{
    static const QSet<QString> keys = {
        QStringLiteral("name"), QStringLiteral("domains"), QStringLiteral("route"), QStringLiteral("smart_hosts"),
        QStringLiteral("tls"), QStringLiteral("ca_file"), QStringLiteral("implicit_tls"),
        QStringLiteral("auth_user"), QStringLiteral("auth_password"), QStringLiteral("connect_timeout_s"),
        QStringLiteral("command_timeout_s"), QStringLiteral("max_connections"),
        QStringLiteral("max_messages_per_connection"), QStringLiteral("auth_mechanism"), QStringLiteral("oauth")};
    for (auto it = o.begin(); it != o.end(); ++it) {
        if (!keys.contains(it.key()))
            *errors << QStringLiteral("%1: unknown key \"%2\"").arg(where, it.key());
    }
    SendConnectorConfig c;
    auto text = [&](const char *key, QString *out) {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined())
            return;
        if (!v.isString())
            *errors << QStringLiteral("%1: \"%2\" must be a string").arg(where, QLatin1String(key));
        else
            *out = v.toString();
    };
    auto list = [&](const char *key, QStringList *out) {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined())
            return;
        QStringList l;
        for (const QJsonValue &e : v.toArray()) {
            if (!e.isString())
                *errors << QStringLiteral("%1: \"%2\" must be an array of strings").arg(where, QLatin1String(key));
            l << e.toString();
        }
        if (!v.isArray())
            *errors << QStringLiteral("%1: \"%2\" must be an array of strings").arg(where, QLatin1String(key));
        *out = l;
    };
    auto number = [&](const char *key, int *out) {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined())
            return;
        const double d = v.toDouble(-1);
        if (!v.isDouble() || d != double(qint64(d)))
            *errors << QStringLiteral("%1: \"%2\" must be a whole number").arg(where, QLatin1String(key));
        else
            *out = int(d);
    };
    text("name", &c.name);
    list("domains", &c.domains);
    text("route", &c.route);
    list("smart_hosts", &c.smartHosts);
    text("tls", &c.tls);
    text("ca_file", &c.caFile);
    const QJsonValue it = o.value(QStringLiteral("implicit_tls"));
    if (!it.isUndefined() && !it.isBool())
        *errors << QStringLiteral("%1: \"implicit_tls\" must be true or false").arg(where);
    c.implicitTls = it.toBool(false);
    text("auth_user", &c.authUser);
    text("auth_password", &c.authPassword);
    text("auth_mechanism", &c.authMechanism);
    const QJsonValue oauth = o.value(QStringLiteral("oauth"));
    if (oauth.isObject())
        c.oauth = oauth::oauthFromJson(oauth.toObject(), where, errors, &c.oauthSecrets);
    else if (!oauth.isUndefined() && !oauth.isNull())
        *errors << QStringLiteral("%1: \"oauth\" must be an object").arg(where);
    number("connect_timeout_s", &c.connectTimeoutS);
    number("command_timeout_s", &c.commandTimeoutS);
    number("max_connections", &c.maxConnections);
    number("max_messages_per_connection", &c.maxMessagesPerConnection);
    return c;
}

QJsonObject sendConnectorToJson(const SendConnectorConfig &c, bool withSecrets)
{
    QJsonObject o;
    o.insert(QStringLiteral("name"), c.name);
    o.insert(QStringLiteral("domains"), QJsonArray::fromStringList(c.domains));
    o.insert(QStringLiteral("route"), c.route);
    o.insert(QStringLiteral("smart_hosts"), QJsonArray::fromStringList(c.smartHosts));
    o.insert(QStringLiteral("tls"), c.tls);
    o.insert(QStringLiteral("ca_file"), c.caFile);
    o.insert(QStringLiteral("implicit_tls"), c.implicitTls);
    o.insert(QStringLiteral("auth_user"), c.authUser);
    if (withSecrets && !c.authPassword.isEmpty())
        o.insert(QStringLiteral("auth_password"), c.authPassword);
    o.insert(QStringLiteral("auth_mechanism"), c.authMechanism);
    if (c.usesOAuth() || c.oauth != oauth::OAuthSettings()) {
        QJsonObject oa = oauth::oauthToJson(c.oauth);
        if (withSecrets) {
            const QJsonObject sec = oauth::oauthSecretsToJson(c.oauthSecrets, true);
            for (auto it = sec.begin(); it != sec.end(); ++it)
                oa.insert(it.key(), it.value());
        }
        o.insert(QStringLiteral("oauth"), oa);
    }
    o.insert(QStringLiteral("connect_timeout_s"), c.connectTimeoutS);
    o.insert(QStringLiteral("command_timeout_s"), c.commandTimeoutS);
    o.insert(QStringLiteral("max_connections"), c.maxConnections);
    o.insert(QStringLiteral("max_messages_per_connection"), c.maxMessagesPerConnection);
    return o;
}

void keepStoredSecrets(QList<SendConnectorConfig> *incoming, const QList<SendConnectorConfig> &stored)
{
    for (SendConnectorConfig &c : *incoming) {
        for (const SendConnectorConfig &old : stored) {
            if (old.name != c.name)
                continue;
            if (!c.authUser.isEmpty() && c.authPassword.isEmpty() && old.authUser == c.authUser)
                c.authPassword = old.authPassword;
            if (!c.usesOAuth() || !old.usesOAuth() || old.oauth.clientId != c.oauth.clientId)
                continue;
            if (c.oauthSecrets.clientSecret.isEmpty())
                c.oauthSecrets.clientSecret = old.oauthSecrets.clientSecret;
            if (c.oauthSecrets.privateKeyPem.isEmpty())
                c.oauthSecrets.privateKeyPem = old.oauthSecrets.privateKeyPem;
            if (c.oauthSecrets.refreshToken.isEmpty() && old.oauth.mailbox == c.oauth.mailbox)
                c.oauthSecrets.refreshToken = old.oauthSecrets.refreshToken;
        }
    }
}

bool loadSendConnectors(QSqlDatabase &db, QList<SendConnectorConfig> *out, QString *error)
{
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT name, domains, route, smart_hosts, tls, ca_file, implicit_tls, auth_user,"
                               " auth_password, connect_timeout_s, command_timeout_s, max_connections,"
                               " max_messages_per_connection, auth_mechanism, oauth, oauth_secret FROM send_connectors"
                               " ORDER BY position"))) {
        *error = q.lastError().text();
        return false;
    }
    QList<SendConnectorConfig> list;
    while (q.next()) {
        SendConnectorConfig c;
        c.name = q.value(0).toString();
        c.domains = q.value(1).toString().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        c.route = q.value(2).toString();
        c.smartHosts = q.value(3).toString().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        c.tls = q.value(4).toString();
        c.caFile = q.value(5).toString();
        c.implicitTls = q.value(6).toInt() != 0;
        c.authUser = q.value(7).toString();
        c.authPassword = q.value(8).toString();
        c.connectTimeoutS = q.value(9).toInt();
        c.commandTimeoutS = q.value(10).toInt();
        c.maxConnections = q.value(11).toInt();
        c.maxMessagesPerConnection = q.value(12).toInt();
        c.authMechanism = q.value(13).toString();
        QStringList ignored; // the stored JSON was written by oauthToJson; validation reports what is missing
        const QJsonObject oa = QJsonDocument::fromJson(q.value(14).toString().toUtf8()).object();
        if (!oa.isEmpty())
            c.oauth = oauth::oauthFromJson(oa, c.name, &ignored);
        const QJsonObject sec = QJsonDocument::fromJson(q.value(15).toString().toUtf8()).object();
        c.oauthSecrets.clientSecret = sec.value(QStringLiteral("client_secret")).toString();
        c.oauthSecrets.privateKeyPem = sec.value(QStringLiteral("private_key")).toString();
        list << c;
    }
    QSqlQuery t(db);
    if (!t.exec(QStringLiteral("SELECT connector, refresh_token FROM oauth_tokens"))) {
        *error = t.lastError().text();
        return false;
    }
    while (t.next()) {
        for (SendConnectorConfig &c : list) {
            if (c.name == t.value(0).toString())
                c.oauthSecrets.refreshToken = t.value(1).toString();
        }
    }
    *out = list;
    return true;
}

bool saveSendConnectors(QSqlDatabase &db, const QList<SendConnectorConfig> &connectors, QString *error)
{
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("DELETE FROM send_connectors"))) {
        *error = q.lastError().text();
        return false;
    }
    q.prepare(QStringLiteral("INSERT INTO send_connectors (position, name, domains, route, smart_hosts, tls, ca_file,"
                             " implicit_tls, auth_user, auth_password, connect_timeout_s, command_timeout_s,"
                             " max_connections, max_messages_per_connection, auth_mechanism, oauth, oauth_secret)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    for (int i = 0; i < connectors.size(); ++i) {
        const SendConnectorConfig &c = connectors.at(i);
        q.addBindValue(i);
        q.addBindValue(storage::nn(c.name));
        q.addBindValue(storage::nn(c.domains.join(QLatin1Char('\n'))));
        q.addBindValue(storage::nn(c.route));
        q.addBindValue(storage::nn(c.smartHosts.join(QLatin1Char('\n'))));
        q.addBindValue(storage::nn(c.tls));
        q.addBindValue(storage::nn(c.caFile));
        q.addBindValue(c.implicitTls ? 1 : 0);
        q.addBindValue(storage::nn(c.authUser));
        q.addBindValue(storage::nn(c.authPassword));
        q.addBindValue(c.connectTimeoutS);
        q.addBindValue(c.commandTimeoutS);
        q.addBindValue(c.maxConnections);
        q.addBindValue(c.maxMessagesPerConnection);
        q.addBindValue(storage::nn(c.authMechanism));
        const bool hasOAuth = c.usesOAuth() || c.oauth != oauth::OAuthSettings();
        q.addBindValue(hasOAuth ? QString::fromUtf8(QJsonDocument(oauth::oauthToJson(c.oauth)).toJson(
                                      QJsonDocument::Compact))
                                : QStringLiteral(""));
        const QJsonObject sec = oauth::oauthSecretsToJson(c.oauthSecrets, false);
        q.addBindValue(sec.isEmpty() ? QStringLiteral("")
                                     : QString::fromUtf8(QJsonDocument(sec).toJson(QJsonDocument::Compact)));
        if (!q.exec()) {
            *error = q.lastError().text();
            return false;
        }
    }
    QSqlQuery t(db);
    if (!t.exec(QStringLiteral("DELETE FROM oauth_tokens"))) {
        *error = t.lastError().text();
        return false;
    }
    for (const SendConnectorConfig &c : connectors) {
        if (!c.oauthSecrets.refreshToken.isEmpty() && !saveRefreshToken(db, c.name, c.oauthSecrets.refreshToken, error))
            return false;
    }
    return true;
}

bool saveRefreshToken(QSqlDatabase &db, const QString &connector, const QString &refreshToken, QString *error)
{
    QSqlQuery q(db);
    if (refreshToken.isEmpty()) {
        q.prepare(QStringLiteral("DELETE FROM oauth_tokens WHERE connector = ?"));
        q.addBindValue(storage::nn(connector));
    } else {
        // Portable upsert (SQLite and PostgreSQL): delete, then insert.
        q.prepare(QStringLiteral("DELETE FROM oauth_tokens WHERE connector = ?"));
        q.addBindValue(storage::nn(connector));
        if (!q.exec()) {
            *error = q.lastError().text();
            return false;
        }
        q.prepare(QStringLiteral("INSERT INTO oauth_tokens (connector, refresh_token, updated) VALUES (?, ?, ?)"));
        q.addBindValue(storage::nn(connector));
        q.addBindValue(refreshToken);
        q.addBindValue(QDateTime::currentSecsSinceEpoch());
    }
    if (!q.exec()) {
        *error = q.lastError().text();
        return false;
    }
    return true;
}

} // namespace rd::config
