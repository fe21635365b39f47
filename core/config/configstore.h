#pragma once
// Loads and saves the configuration in config.db (one transaction per save).
// Thread: the connection belongs to the thread that created the store.

#include "config/configsnapshot.h"

#include <QString>

namespace rd::config {

class ConfigStore {
public:
    // Opens (creating and migrating) dataDir/config.db.
    explicit ConfigStore(const QString &dataDir);
    ~ConfigStore();
    ConfigStore(const ConfigStore &) = delete;
    ConfigStore &operator=(const ConfigStore &) = delete;

    // False if the database could not be opened (see errorString()).
    bool isOpen() const { return m_open; }
    QString errorString() const { return m_error; }

    // Reads the stored configuration. A fresh database gives the defaults.
    // A stored value that no longer validates is reported in *warnings and
    // replaced by its default.
    ConfigSnapshot load(QStringList *warnings = nullptr);

    // Replaces the stored configuration atomically. False with errorString().
    bool save(const ConfigSnapshot &config);

    // Stores one send connector's OAuth refresh token (empty: deletes it).
    bool saveRefreshToken(const QString &connector, const QString &token, QString *error);

private:
    QString m_connection;
    QString m_error;
    bool m_open = false;
};

} // namespace rd::config
