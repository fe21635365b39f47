#include "dns/dnsupdateclient.h"

#include <QDateTime>
#include <QPointer>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QTimer>

#include <memory>

namespace rd::dns {

QString DnsUpdateConfig::serverText() const
{
    return host.contains(QLatin1Char(':')) ? QStringLiteral("[%1]:%2").arg(host).arg(port)
                                           : QStringLiteral("%1:%2").arg(host).arg(port);
}

// One TCP exchange: connect, send one length-prefixed message, read one
// length-prefixed reply. Calls done(reply, "") or done({}, error) once, later.
class DnsUpdateClient::Exchange : public QObject {
public:
    using Done = std::function<void(const QByteArray &, const QString &)>;

    Exchange(const DnsUpdateConfig &config, const QByteArray &message, Done done, QObject *parent)
        : QObject(parent), m_done(std::move(done)), m_server(config.serverText())
    {
        m_timer.setSingleShot(true);
        connect(&m_timer, &QTimer::timeout, this, [this, ms = config.timeoutMs] {
            complete({}, QStringLiteral("no answer from %1 within %2 s")
                             .arg(m_server).arg(QString::number(ms / 1000.0, 'g', 3)));
        });
        connect(&m_socket, &QTcpSocket::connected, this, [this, message] {
            QByteArray framed;
            framed.append(char(message.size() >> 8));
            framed.append(char(message.size() & 0xff));
            framed += message;
            m_socket.write(framed);
        });
        connect(&m_socket, &QTcpSocket::readyRead, this, [this] {
            m_buffer += m_socket.readAll();
            if (m_buffer.size() < 2)
                return;
            const int len = (quint8(m_buffer[0]) << 8) | quint8(m_buffer[1]);
            if (m_buffer.size() >= 2 + len)
                complete(m_buffer.mid(2, len), {});
        });
        connect(&m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError) {
            complete({}, QStringLiteral("%1: %2").arg(m_server, m_socket.errorString()));
        });
        m_timer.start(config.timeoutMs);
        m_socket.connectToHost(config.host, config.port);
    }

private:
    void complete(const QByteArray &reply, const QString &error)
    {
        if (!m_done)
            return;
        m_timer.stop();
        Done done = std::exchange(m_done, nullptr);
        m_socket.abort();
        deleteLater();
        done(reply, error);
    }

    Done m_done;
    QString m_server;
    QTcpSocket m_socket;
    QTimer m_timer;
    QByteArray m_buffer;
};

struct DnsUpdateClient::Job {
    update::UpdateAction action = update::UpdateAction::Add;
    QList<update::TxtRr> records;
    Callback cb;
    int nextZone = 0;                           // resolveZones: index of the next record
    QList<QPair<QString, QList<update::TxtRr>>> batches; // zone -> its records
    int nextBatch = 0;
    bool inFlightMaybeApplied = false; // the failed batch may be in the zone (no clear answer from the server)
};

DnsUpdateClient::DnsUpdateClient(DnsUpdateConfig config, QObject *parent)
    : QObject(parent), m_config(std::move(config))
{
}

DnsUpdateClient::~DnsUpdateClient() = default;

void DnsUpdateClient::apply(update::UpdateAction action, const QList<update::TxtRr> &records, Callback cb)
{
    auto job = std::make_shared<Job>();
    job->action = action;
    job->records = records;
    job->cb = std::move(cb);
    QString error;
    if (!m_config.isEnabled())
        error = QStringLiteral("no DNS UPDATE server is configured");
    else if (!m_config.key.isValid())
        error = QStringLiteral("no TSIG key is configured for DNS UPDATE");
    else if (records.isEmpty())
        error = QStringLiteral("no records to update");
    QTimer::singleShot(0, this, [this, job, error] {
        if (!error.isEmpty())
            finishJob(job, error);
        else
            resolveZones(job);
    });
}

void DnsUpdateClient::finishJob(const std::shared_ptr<Job> &job, const QString &error)
{
    if (!job->cb)
        return;
    Callback cb = std::exchange(job->cb, nullptr);
    QList<update::TxtRr> applied;
    const int upTo = job->nextBatch + (job->inFlightMaybeApplied ? 1 : 0);
    for (int i = 0; i < upTo && i < job->batches.size(); ++i)
        applied += job->batches[i].second;
    cb(error.isEmpty(), error, applied);
}

void DnsUpdateClient::resolveZones(const std::shared_ptr<Job> &job)
{
    while (job->nextZone < job->records.size()) {
        const QString name = job->records[job->nextZone].name.toLower();
        QString zone = m_config.zone.isEmpty() ? m_zoneOf.value(name) : m_config.zone;
        if (zone.isEmpty())
            break;
        bool placed = false;
        for (auto &batch : job->batches) {
            if (batch.first == zone) {
                batch.second << job->records[job->nextZone];
                placed = true;
            }
        }
        if (!placed)
            job->batches.append({zone, {job->records[job->nextZone]}});
        ++job->nextZone;
    }
    if (job->nextZone >= job->records.size()) {
        sendBatches(job);
        return;
    }
    const QString name = job->records[job->nextZone].name.toLower();
    const quint16 id = quint16(QRandomGenerator::system()->bounded(0x10000));
    const QByteArray query = update::buildSoaQuery(id, name);
    if (query.isEmpty()) {
        finishJob(job, QStringLiteral("DNS UPDATE: \"%1\" is not a valid name").arg(name));
        return;
    }
    exchange(query, [this, job, id, name](const QByteArray &reply, const QString &netError) {
        QString error = netError;
        if (error.isEmpty()) {
            if (const std::optional<QString> zone = update::zoneFromSoaReply(reply, id, &error)) {
                m_zoneOf.insert(name, *zone);
                resolveZones(job);
                return;
            }
        }
        finishJob(job, QStringLiteral("DNS UPDATE: cannot find the zone of %1 at %2 (set the zone): %3")
                           .arg(name, m_config.serverText(), error));
    });
}

void DnsUpdateClient::sendBatches(const std::shared_ptr<Job> &job)
{
    if (job->nextBatch >= job->batches.size()) {
        finishJob(job, {});
        return;
    }
    const auto &[zone, records] = job->batches[job->nextBatch];
    QStringList names;
    for (const update::TxtRr &r : records)
        names << r.name;
    const QString what = QStringLiteral("DNS UPDATE (%1 TXT %2 in zone %3) at %4 failed")
                             .arg(job->action == update::UpdateAction::Add ? QStringLiteral("add") : QStringLiteral("delete"),
                                  names.join(QStringLiteral(", ")), zone, m_config.serverText());
    const quint16 id = quint16(QRandomGenerator::system()->bounded(0x10000));
    QString error;
    const QByteArray message = update::buildUpdate(id, zone, records, job->action, m_config.ttl, &error);
    if (message.isEmpty()) {
        finishJob(job, QStringLiteral("%1: %2").arg(what, error));
        return;
    }
    const update::SignedMessage s = update::signMessage(message, m_config.key, quint64(QDateTime::currentSecsSinceEpoch()));
    if (s.message.isEmpty()) {
        finishJob(job, QStringLiteral("%1: the message could not be signed").arg(what));
        return;
    }
    exchange(s.message, [this, job, id, mac = s.mac, what](const QByteArray &reply, const QString &netError) {
        if (!netError.isEmpty()) {
            job->inFlightMaybeApplied = true; // a timeout or a lost connection may come after the server applied it
            finishJob(job, QStringLiteral("%1: %2").arg(what, netError));
            return;
        }
        const update::UpdateReply r = update::parseUpdateReply(reply, id, m_config.key, mac,
                                               quint64(QDateTime::currentSecsSinceEpoch()));
        if (!r.ok) {
            // Only an error RCODE says the server did not apply it; an unverifiable reply says nothing.
            job->inFlightMaybeApplied = r.rcode <= 0;
            finishJob(job, QStringLiteral("%1: %2").arg(what, r.error));
            return;
        }
        ++job->nextBatch;
        sendBatches(job);
    });
}

void DnsUpdateClient::exchange(const QByteArray &message, std::function<void(const QByteArray &, const QString &)> done)
{
    // The exchange is a child: destroying the client drops it and its callback.
    new Exchange(m_config, message, std::move(done), this);
}

} // namespace rd::dns
