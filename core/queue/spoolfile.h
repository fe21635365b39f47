#pragma once
// One message being received into the spool. Layout of a spool file:
//   "RDSPOOL1\n" <envelope as one line of JSON> "\n" <message octets>
// The message octets are exactly what will be sent (CRLF lines, not
// dot-stuffed), starting with our Received header. The envelope line makes
// every spool file self-describing, so the queue index can be rebuilt from
// the spool folder alone.
// Thread: owned and used by one thread; writes are buffered, not synced
// (QueueStore syncs and renames it when the message is committed).

#include <QByteArray>
#include <QFile>
#include <QList>
#include <QString>

namespace rd::queue {

struct SpoolEnvelope {
    QString queueId;
    QByteArray sender;
    QList<QByteArray> recipients;
    qint64 receivedMs = 0;
    QString clientIp;
    QString helo;
    // ESMTP parameters as received ("SMTPUTF8 RET=HDRS ENVID=x", "NOTIFY=NEVER"),
    // kept for delivery (SMTPUTF8, DSN); rcptParams parallel to recipients.
    QByteArray mailParams;
    QList<QByteArray> rcptParams;
    // "relay", "inbound" or "local" (QueueEntry::origin); empty in older files.
    QString origin;

    QByteArray toJson() const;
    static bool fromJson(const QByteArray &json, SpoolEnvelope *out);
};

class SpoolRecycler;

class SpoolFile {
public:
    // spoolDir: <data>/spool; the temporary file goes to <spoolDir>/incoming.
    // With a recycler, begin() writes over a spare file when one is free
    // (tmpPath() is then that file) instead of creating one.
    SpoolFile(const QString &spoolDir, const SpoolEnvelope &envelope, SpoolRecycler *recycler = nullptr);
    ~SpoolFile(); // discards the temporary file unless finish() succeeded

    bool begin(QString *error);
    bool append(const char *data, qint64 size);
    // Flushes and closes; the file is complete but not yet durable.
    bool finish(QString *error);
    void discard();

    QString tmpPath() const { return m_tmpPath; }
    QString finalPath() const { return m_finalPath; }
    qint64 bodyOffset() const { return m_bodyOffset; }
    qint64 contentSize() const { return m_written; }
    const SpoolEnvelope &envelope() const { return m_envelope; }
    bool failed() const { return m_failed; }

    static QString magic() { return QStringLiteral("RDSPOOL1"); }
    // Reads the envelope line of a spool file; bodyOffset set on success.
    static bool readHeader(const QString &path, SpoolEnvelope *env, qint64 *bodyOffset, QString *error);

private:
    SpoolEnvelope m_envelope;
    SpoolRecycler *m_recycler;
    bool m_reused = false; // writing over a spare file (cut to size at finish())
    QString m_tmpPath;
    QString m_finalPath;
    QFile m_file;
    qint64 m_bodyOffset = 0;
    qint64 m_written = 0;
    bool m_finished = false;
    bool m_failed = false;
};

} // namespace rd::queue
