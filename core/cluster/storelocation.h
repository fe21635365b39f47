#pragma once
// Where a cluster's shared PostgreSQL store is: parsed from a libpq connection
// string (a postgresql:// URI or key=value words) into the settings of Qt's
// QPSQL driver. The password may be in the string, in a libpq passfile
// (passfile=...) or in PGPASSWORD; it never appears in display().

#include <QSqlDatabase>
#include <QString>
#include <QStringList>

#include <optional>

namespace rd::cluster {

struct StoreLocation {
    QString host;                 // name or address (IPv6 without brackets)
    int port = 5432;
    QString database = QStringLiteral("relaydesk");
    QString user;
    QString password;
    QStringList options;          // libpq keywords passed through, as "key=value"

    // Parses `text`. On error returns nothing and says why in *error.
    static std::optional<StoreLocation> parse(const QString &text, QString *error);

    // postgresql://user@host:port/db?options, without the password.
    QString display() const;

    // Opens a QPSQL connection named connectionName (connect_timeout 5 s unless
    // given). On failure returns an invalid database and sets *error.
    QSqlDatabase open(const QString &connectionName, QString *error) const;
};

} // namespace rd::cluster
