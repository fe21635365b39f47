// IIS habits in the engine: the Pickup folder (pickup/pickupservice.h) and
// the Badmail folder (pickup/badmail.h): undeliverable mail from the null
// sender, unparsable pickup files, retention.

#include "engine/engine.h"

#include "config/settings.h"
#include "delivery/deliveryagent.h"
#include "log/logstore.h"
#include "pickup/badmail.h"
#include "pickup/pickupservice.h"
#include "queue/queuestore.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QPointer>
#include <QThreadPool>

namespace rd::engine {

using namespace rd::config::keys;

QString Engine::badmailDirectory() const
{
    return pickup::Badmail::directoryFor(m_config.stringValue(kBadmailDirectory), m_dataDir);
}

void Engine::startPickup()
{
    const QString dir = m_config.stringValue(kPickupDirectory).trimmed();
    const QString badmail = badmailDirectory();
    if (m_pickup && m_pickup->options().directory == dir && m_pickup->options().badmailDir == badmail
        && m_pickup->options().hostname == hostname())
        return;
    stopPickup();
    if (dir.isEmpty() || !m_queue)
        return;
    pickup::PickupOptions o;
    o.directory = dir;
    o.spoolDir = m_queue->spoolDir();
    o.badmailDir = badmail;
    o.maxMessageSize = m_config.intValue(kMaxMessageSize);
    o.hostname = hostname();
    auto commit = [this](queue::QueueEntry entry, QString tmpPath, std::function<void(bool, QString)> done) {
        if (!m_queue) {
            done(false, QStringLiteral("engine is stopping"));
            return;
        }
        m_queue->commit(entry, tmpPath, [this, entry, done = std::move(done)](bool ok, QString err) {
            if (ok) {
                ++m_status.accepted;
                messageQueued(entry, QStringLiteral("pickup"), QString());
                if (m_delivery)
                    m_delivery->enqueue(entry);
                scheduleStatus();
            }
            done(ok, err);
        });
    };
    auto logEvent = [this](const pickup::PickupEvent &p) {
        log::LogEvent e;
        e.direction = QStringLiteral("in");
        e.rule = QStringLiteral("pickup");
        e.result = p.kindName();
        e.queueId = p.queueId;
        e.sender = QString::fromUtf8(p.sender);
        e.bytes = p.size;
        switch (p.kind) {
        case pickup::PickupEvent::Queued:
            e.kind = log::LogKind::Receive;
            e.helo = QStringLiteral("pickup");
            e.message = QStringLiteral("pickup file=%1 queue_id=%2 recipients=%3")
                            .arg(p.fileName, p.queueId).arg(p.recipients);
            break;
        case pickup::PickupEvent::Badmail:
            e.kind = log::LogKind::Receive;
            e.helo = QStringLiteral("pickup");
            e.level = QStringLiteral("warning");
            e.message = QStringLiteral("pickup file=%1 badmail=%2 reason=%3").arg(p.fileName, p.badPath, p.detail);
            messageRejected();
            break;
        case pickup::PickupEvent::Deferred:
        case pickup::PickupEvent::FolderError:
            e.kind = log::LogKind::System;
            e.level = QStringLiteral("warning");
            e.message = QStringLiteral("pickup file=%1: %2").arg(p.fileName, p.detail);
            break;
        case pickup::PickupEvent::Recovered:
            e.kind = log::LogKind::System;
            e.message = QStringLiteral("pickup file=%1: %2").arg(p.fileName, p.detail);
            break;
        }
        log(std::move(e));
    };
    m_pickup = new pickup::PickupService(o, std::move(commit), std::move(logEvent), this);
    m_pickup->start();
    systemLog(QStringLiteral("pickup"), QStringLiteral("watching pickup folder %1 (badmail: %2)").arg(dir, badmail));
}

void Engine::stopPickup()
{
    delete m_pickup; // waits for its running batch; claimed files are recovered at the next start
    m_pickup = nullptr;
}

void Engine::purgeBadmail()
{
    const int days = int(m_config.intValue(kBadmailRetentionDays));
    if (days <= 0)
        return;
    const QString dir = badmailDirectory();
    QPointer<Engine> self(this);
    QThreadPool::globalInstance()->start([self, dir, days] {
        QString error;
        const int removed = pickup::Badmail(dir).purge(days, QDateTime::currentDateTimeUtc(), &error);
        if (removed <= 0 && error.isEmpty())
            return;
        QMetaObject::invokeMethod(self, [self, removed, error, days] {
            if (!self)
                return;
            if (removed > 0)
                self->systemLog(QStringLiteral("badmail_purge"),
                                QStringLiteral("removed %1 badmail files older than %2 days").arg(removed).arg(days));
            if (!error.isEmpty())
                self->systemLog(QStringLiteral("badmail_purge"), error, QStringLiteral("warning"));
        });
    });
}

void Engine::storeBadmail(const queue::QueueEntry &entry, const QString &reason)
{
    // Read now, on the engine thread: the spool file goes once the message ends.
    QFile f(entry.spoolPath);
    QByteArray content = entry.prepend;
    if (!f.open(QIODevice::ReadOnly) || !f.seek(entry.bodyOffset)) {
        systemLog(QStringLiteral("badmail"),
                  QStringLiteral("%1: cannot read %2: %3").arg(entry.info.queueId, entry.spoolPath, f.errorString()),
                  QStringLiteral("error"));
        return;
    }
    content += f.readAll();
    const QString dir = badmailDirectory();
    const QString qid = entry.info.queueId;
    QPointer<Engine> self(this);
    QThreadPool::globalInstance()->start([self, dir, qid, reason, content] {
        QString stored, error;
        const bool ok = pickup::Badmail(dir).store(content, qid, QStringLiteral("delivery"), reason, &stored, &error);
        QMetaObject::invokeMethod(self, [self, ok, qid, stored, error] {
            if (!self)
                return;
            if (ok)
                self->systemLog(QStringLiteral("badmail"), QStringLiteral("%1 kept as %2").arg(qid, stored));
            else
                self->systemLog(QStringLiteral("badmail"), QStringLiteral("%1: %2").arg(qid, error),
                                QStringLiteral("error"));
        });
    });
}

} // namespace rd::engine
