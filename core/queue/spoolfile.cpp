#include "queue/spoolfile.h"

#include "queue/spoolrecycler.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace rd::queue {

QByteArray SpoolEnvelope::toJson() const
{
    QJsonObject o;
    o.insert(QStringLiteral("qid"), queueId);
    o.insert(QStringLiteral("from"), QString::fromUtf8(sender));
    QJsonArray rc;
    for (const QByteArray &r : recipients)
        rc.append(QString::fromUtf8(r));
    o.insert(QStringLiteral("rcpt"), rc);
    o.insert(QStringLiteral("received"), double(receivedMs));
    o.insert(QStringLiteral("client_ip"), clientIp);
    o.insert(QStringLiteral("helo"), helo);
    if (!mailParams.isEmpty())
        o.insert(QStringLiteral("mail_params"), QString::fromUtf8(mailParams));
    bool anyRcptParams = false;
    QJsonArray rp;
    for (const QByteArray &p : rcptParams) {
        rp.append(QString::fromUtf8(p));
        anyRcptParams = anyRcptParams || !p.isEmpty();
    }
    if (anyRcptParams)
        o.insert(QStringLiteral("rcpt_params"), rp);
    if (!origin.isEmpty())
        o.insert(QStringLiteral("origin"), origin);
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

bool SpoolEnvelope::fromJson(const QByteArray &json, SpoolEnvelope *out)
{
    const QJsonDocument doc = QJsonDocument::fromJson(json);
    if (!doc.isObject())
        return false;
    const QJsonObject o = doc.object();
    SpoolEnvelope e;
    e.queueId = o.value(QStringLiteral("qid")).toString();
    e.sender = o.value(QStringLiteral("from")).toString().toUtf8();
    for (const QJsonValue &v : o.value(QStringLiteral("rcpt")).toArray())
        e.recipients.append(v.toString().toUtf8());
    e.receivedMs = qint64(o.value(QStringLiteral("received")).toDouble());
    e.clientIp = o.value(QStringLiteral("client_ip")).toString();
    e.helo = o.value(QStringLiteral("helo")).toString();
    e.mailParams = o.value(QStringLiteral("mail_params")).toString().toUtf8();
    for (const QJsonValue &v : o.value(QStringLiteral("rcpt_params")).toArray())
        e.rcptParams.append(v.toString().toUtf8());
    e.origin = o.value(QStringLiteral("origin")).toString();
    if (e.queueId.isEmpty() || e.recipients.isEmpty())
        return false;
    *out = e;
    return true;
}

SpoolFile::SpoolFile(const QString &spoolDir, const SpoolEnvelope &envelope, SpoolRecycler *recycler)
    : m_envelope(envelope),
      m_recycler(recycler),
      m_tmpPath(spoolDir + QStringLiteral("/incoming/") + envelope.queueId + QStringLiteral(".tmp")),
      m_finalPath(spoolDir + QLatin1Char('/') + envelope.queueId + QStringLiteral(".msg"))
{
}

SpoolFile::~SpoolFile()
{
    if (!m_finished)
        discard();
}

bool SpoolFile::begin(QString *error)
{
    if (m_recycler) {
        const QString spare = m_recycler->take();
        if (!spare.isEmpty()) {
            m_file.setFileName(spare);
            // ReadWrite: no truncation (that would free the blocks we reuse).
            if (m_file.open(QIODevice::ReadWrite)) {
                m_tmpPath = spare;
                m_reused = true;
            } else {
                QFile::remove(spare);
            }
        }
    }
    if (!m_reused) {
        m_file.setFileName(m_tmpPath);
        if (!m_file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            *error = QStringLiteral("cannot create %1: %2").arg(m_tmpPath, m_file.errorString());
            m_failed = true;
            return false;
        }
        m_file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    }
    QByteArray header = magic().toLatin1() + '\n' + m_envelope.toJson() + '\n';
    if (m_file.write(header) != header.size()) {
        *error = QStringLiteral("cannot write %1: %2").arg(m_tmpPath, m_file.errorString());
        m_failed = true;
        return false;
    }
    m_bodyOffset = header.size();
    return true;
}

bool SpoolFile::append(const char *data, qint64 size)
{
    if (m_failed)
        return false;
    if (m_file.write(data, size) != size) {
        m_failed = true;
        return false;
    }
    m_written += size;
    return true;
}

bool SpoolFile::finish(QString *error)
{
    if (m_failed) {
        *error = QStringLiteral("write to %1 failed: %2").arg(m_tmpPath, m_file.errorString());
        discard();
        return false;
    }
    if (!m_file.flush()) {
        *error = QStringLiteral("flush %1 failed: %2").arg(m_tmpPath, m_file.errorString());
        discard();
        return false;
    }
    // A reused file may be longer than this message: cut the old tail off.
    if (m_reused && m_file.size() != m_bodyOffset + m_written && !m_file.resize(m_bodyOffset + m_written)) {
        *error = QStringLiteral("cannot truncate %1: %2").arg(m_tmpPath, m_file.errorString());
        discard();
        return false;
    }
    m_file.close();
    m_finished = true; // ownership of the file passes to the QueueStore commit
    return true;
}

void SpoolFile::discard()
{
    if (m_file.isOpen())
        m_file.close();
    QFile::remove(m_tmpPath);
    m_finished = true;
}

bool SpoolFile::readHeader(const QString &path, SpoolEnvelope *env, qint64 *bodyOffset, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot open %1: %2").arg(path, f.errorString());
        return false;
    }
    const QByteArray m = f.readLine(64);
    if (m != magic().toLatin1() + '\n') {
        *error = QStringLiteral("%1 is not a RelayDesk spool file").arg(path);
        return false;
    }
    const QByteArray json = f.readLine(1 << 22);
    if (!json.endsWith('\n') || !SpoolEnvelope::fromJson(json.trimmed(), env)) {
        *error = QStringLiteral("%1 has a damaged envelope line").arg(path);
        return false;
    }
    *bodyOffset = m.size() + json.size();
    return true;
}

} // namespace rd::queue
