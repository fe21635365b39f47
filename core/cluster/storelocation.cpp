#include "cluster/storelocation.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QUrl>
#include <QUrlQuery>

#include <algorithm>

namespace rd::cluster {
namespace {

// libpq keywords we pass through to the driver (anything else is a typo worth
// an error, not a silent default).
const QStringList kKnownOptions = {
    QStringLiteral("sslmode"),     QStringLiteral("sslrootcert"),      QStringLiteral("sslcert"),
    QStringLiteral("sslkey"),      QStringLiteral("sslcrl"),           QStringLiteral("connect_timeout"),
    QStringLiteral("passfile"),    QStringLiteral("application_name"), QStringLiteral("target_session_attrs"),
    QStringLiteral("keepalives"),  QStringLiteral("keepalives_idle"),  QStringLiteral("ssl_min_protocol_version"),
};

bool setWord(StoreLocation *loc, const QString &key, const QString &value, QString *error)
{
    if (key == QLatin1String("host") || key == QLatin1String("hostaddr"))
        loc->host = value;
    else if (key == QLatin1String("port")) {
        bool ok = false;
        const int p = value.toInt(&ok);
        if (!ok || p < 1 || p > 65535) {
            *error = QStringLiteral("invalid port \"%1\"").arg(value);
            return false;
        }
        loc->port = p;
    } else if (key == QLatin1String("dbname"))
        loc->database = value;
    else if (key == QLatin1String("user"))
        loc->user = value;
    else if (key == QLatin1String("password"))
        loc->password = value;
    else if (kKnownOptions.contains(key)) {
        if (value.contains(QLatin1Char(';')) || value.contains(QLatin1Char(' '))) {
            *error = QStringLiteral("the value of %1 may not contain spaces or ';'").arg(key);
            return false;
        }
        loc->options << QStringLiteral("%1=%2").arg(key, value);
    } else {
        *error = QStringLiteral("unknown connection parameter \"%1\"").arg(key);
        return false;
    }
    return true;
}

} // namespace

std::optional<StoreLocation> StoreLocation::parse(const QString &text, QString *error)
{
    StoreLocation loc;
    const QString t = text.trimmed();
    if (t.isEmpty()) {
        *error = QStringLiteral("the cluster connection string is empty");
        return std::nullopt;
    }
    if (t.startsWith(QLatin1String("postgresql://")) || t.startsWith(QLatin1String("postgres://"))) {
        const QUrl url(t, QUrl::StrictMode);
        if (!url.isValid() || url.host().isEmpty()) {
            *error = QStringLiteral("not a valid postgresql:// address (%1)").arg(url.errorString());
            return std::nullopt;
        }
        loc.host = url.host();
        if (url.port() == 0) {
            *error = QStringLiteral("invalid port \"0\"");
            return std::nullopt;
        }
        if (url.port() > 0)
            loc.port = url.port();
        loc.user = url.userName(QUrl::FullyDecoded);
        loc.password = url.password(QUrl::FullyDecoded);
        const QString path = url.path(QUrl::FullyDecoded);
        if (path.size() > 1)
            loc.database = path.mid(1);
        const auto items = QUrlQuery(url).queryItems(QUrl::FullyDecoded);
        for (const auto &[k, v] : items) {
            if (!setWord(&loc, k, v, error))
                return std::nullopt;
        }
    } else {
        // key=value words separated by spaces; values may be 'quoted'.
        int i = 0;
        while (i < t.size()) {
            while (i < t.size() && t.at(i).isSpace())
                ++i;
            if (i >= t.size())
                break;
            const int eq = t.indexOf(QLatin1Char('='), i);
            if (eq < 0) {
                *error = QStringLiteral("expected key=value in \"%1\"").arg(t.mid(i));
                return std::nullopt;
            }
            const QString key = t.mid(i, eq - i).trimmed();
            i = eq + 1;
            QString value;
            if (i < t.size() && t.at(i) == QLatin1Char('\'')) {
                ++i;
                while (i < t.size() && t.at(i) != QLatin1Char('\'')) {
                    if (t.at(i) == QLatin1Char('\\') && i + 1 < t.size())
                        ++i;
                    value += t.at(i++);
                }
                if (i >= t.size()) {
                    *error = QStringLiteral("unterminated quote after %1=").arg(key);
                    return std::nullopt;
                }
                ++i;
            } else {
                while (i < t.size() && !t.at(i).isSpace())
                    value += t.at(i++);
            }
            if (!setWord(&loc, key, value, error))
                return std::nullopt;
        }
        if (loc.host.isEmpty()) {
            *error = QStringLiteral("the connection string names no host");
            return std::nullopt;
        }
    }
    return loc;
}

QString StoreLocation::display() const
{
    QUrl url;
    url.setScheme(QStringLiteral("postgresql"));
    url.setHost(host);
    url.setPort(port);
    url.setUserName(user);
    url.setPath(QLatin1Char('/') + database);
    if (!options.isEmpty())
        url.setQuery(options.join(QLatin1Char('&')));
    return url.toString(QUrl::FullyEncoded);
}

QSqlDatabase StoreLocation::open(const QString &connectionName, QString *error) const
{
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), connectionName);
    if (!db.isValid()) {
        *error = QStringLiteral("Qt's PostgreSQL driver (QPSQL) is not installed");
        QSqlDatabase::removeDatabase(connectionName);
        return QSqlDatabase();
    }
    db.setHostName(host);
    db.setPort(port);
    db.setDatabaseName(database);
    db.setUserName(user);
    if (!password.isEmpty())
        db.setPassword(password);
    QStringList opts = options;
    if (!std::any_of(opts.begin(), opts.end(), [](const QString &o) { return o.startsWith(QLatin1String("connect_timeout=")); }))
        opts << QStringLiteral("connect_timeout=5");
    if (!std::any_of(opts.begin(), opts.end(), [](const QString &o) { return o.startsWith(QLatin1String("application_name=")); }))
        opts << QStringLiteral("application_name=relaydesk");
    db.setConnectOptions(opts.join(QLatin1Char(';')));
    if (!db.open()) {
        *error = QStringLiteral("cannot connect to the cluster store %1: %2")
                     .arg(display(), db.lastError().text().trimmed());
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(connectionName);
        return QSqlDatabase();
    }
    // libpq prints notices (CREATE TABLE IF NOT EXISTS ...) on stderr; warnings and errors still come through.
    QSqlQuery(db).exec(QStringLiteral("SET client_min_messages TO warning"));
    return db;
}

} // namespace rd::cluster
