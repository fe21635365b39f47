#pragma once
// Secrets in a cluster's shared store are never in clear: each secret cell
// (a DKIM private key, a smart-host password, an OAuth refresh token, a
// directory bind password...) is sealed with AES-256-GCM under a key kept in a
// file on each node, outside the database. The cell's place (table.column and
// row key) is authenticated too, so a sealed value cannot be moved to another
// cell. A store remembers the fingerprint of its key; a node with another key
// is refused before it reads or writes anything.
//
// Sealed form: "rdenc1:" + base64(12-byte nonce | ciphertext | 16-byte tag).
// An empty secret stays empty (nothing to hide, and "no password" stays visible).

#include <QByteArray>
#include <QString>

#include <optional>

namespace rd::cluster {

class SecretBox {
public:
    // Writes a new random key to `path` (owner-only). Refuses to overwrite.
    static bool generateKeyFile(const QString &path, QString *error);

    // Reads the key. Refuses a file others may read (POSIX), or a bad length.
    bool load(const QString &path, QString *error);
    // For tests: a raw 32-byte key.
    bool setKey(const QByteArray &key, QString *error);

    bool isLoaded() const { return m_key.size() == 32; }
    // "sha256:" and 32 hex digits, derived from the key (does not reveal it).
    QString fingerprint() const;

    QString seal(const QString &plain, const QString &context) const;
    // nullopt (with *error) when the value was not sealed by this key for this
    // context, or is damaged. A value without the prefix is refused too: a
    // store must not hold secrets in clear.
    std::optional<QString> open(const QString &sealed, const QString &context, QString *error) const;

    static bool isSealed(const QString &value) { return value.startsWith(QLatin1String("rdenc1:")); }

private:
    QByteArray m_key;
};

} // namespace rd::cluster
