#pragma once
// The Badmail folder (IIS SMTP's Badmail): pickup files that cannot be read
// and mail that cannot be delivered nor bounced, kept for the admin.
//
// Layout: for each item two files, named after the original:
//   <name>.bad      the message or pickup file exactly as it was (IIS: .BAD)
//   <name>.bad.txt  the reason, UTF-8 text lines "Key: value" (IIS: .BDR):
//                   Reason, Source (pickup / delivery), Original (file name
//                   or queue id), Date (ISO 8601 UTC)
// A name that is taken gets "-2", "-3"... before ".bad". The message file is
// written first, so a crash can leave a .bad without its .bad.txt (listed
// with an unknown reason), never a reason without a message.
//
// Thread: any; every function does blocking file I/O, so call them from a
// worker thread (the engine's pool), not from the GUI or engine thread.

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QString>

namespace rd::pickup {

struct BadmailItem {
    QString fileName;    // "<name>.bad"
    QString path;        // absolute path of the .bad file
    QDateTime modified;  // when it was put there (file time, UTC)
    qint64 size = 0;
    QString reason;      // from the reason file; "(no reason recorded)" if missing
    QString source;      // "pickup", "delivery" or empty
    QString original;    // the original file name or queue id

    bool operator==(const BadmailItem &) const = default;
};

class Badmail {
public:
    // directory: the badmail folder (see directoryFor()); created on first store.
    explicit Badmail(const QString &directory);

    // badmail.directory when set, else <dataDir>/badmail.
    static QString directoryFor(const QString &configured, const QString &dataDir);

    QString directory() const { return m_dir; }

    // Moves `sourcePath` (e.g. a claimed pickup file) into the folder as
    // <baseName>.bad and writes its reason file. Falls back to copy + remove
    // across volumes. False with *error if nothing could be moved (the source
    // stays where it was).
    bool moveIn(const QString &sourcePath, const QString &baseName, const QString &source, const QString &reason,
                QString *storedPath, QString *error) const;

    // Writes `content` (e.g. an undeliverable message) as <baseName>.bad plus
    // its reason file.
    bool store(const QByteArray &content, const QString &baseName, const QString &source, const QString &reason,
               QString *storedPath, QString *error) const;

    // The newest `max` items, newest first. A folder that does not exist is
    // an empty list.
    QList<BadmailItem> list(int max = 1000) const;

    // Removes items (both files) older than `retentionDays` at `now`; 0 days:
    // keeps everything. Returns how many items were removed; *error names the
    // first file that could not be removed.
    int purge(int retentionDays, const QDateTime &now, QString *error = nullptr) const;

    // The reason file's path for a .bad file.
    static QString reasonPath(const QString &badPath);

private:
    bool reserveName(const QString &baseName, QString *badPath, QString *error) const;
    bool writeReason(const QString &badPath, const QString &baseName, const QString &source, const QString &reason,
                     QString *error) const;

    QString m_dir;
};

} // namespace rd::pickup

Q_DECLARE_METATYPE(rd::pickup::BadmailItem)
