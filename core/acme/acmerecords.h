#pragma once
// config.db rows of the ACME client (schema v9): acme_accounts (one account
// per directory URL: key, account URL, contact) and acme_certificates (one
// row per ACME-managed store entry: names, challenge, status, last error,
// next renewal). Synchronous SQL on the given connection: call from the
// thread that owns it (a worker, never the GUI thread). Times are stored as
// Unix seconds (UTC).

#include "acme/acmeorder.h"
#include "acme/acmerenewal.h"

#include <QList>
#include <QSqlDatabase>

#include <optional>

namespace rd::acme {

// Inserts or replaces the account of account.directoryUrl. False with *error.
bool saveAccount(QSqlDatabase &db, const AcmeAccount &account, QString *error);
// The account for a directory, if one was registered.
std::optional<AcmeAccount> loadAccount(QSqlDatabase &db, const QString &directoryUrl, QString *error);

// Inserts or replaces the row of record.certificateId.
bool saveCertificateRecord(QSqlDatabase &db, const AcmeCertificateRecord &record, QString *error);
// Removes the row (after a renewal replaced the entry, or the admin removed it).
bool removeCertificateRecord(QSqlDatabase &db, const QString &certificateId, QString *error);
// Every row, by certificate id.
QList<AcmeCertificateRecord> loadCertificateRecords(QSqlDatabase &db, QString *error);

} // namespace rd::acme
