// TLS-RPT (RFC 8460) daily aggregate reports: once per UTC day, for the day
// before, every recipient domain with rows in log.db tls_results whose
// `_smtp._tls.<domain>` TXT record names report URIs gets one report per URI
// (at most 3, in record order): a mail queued through the relay like a bounce
// for mailto: (the queue retries it), an HTTPS POST for https: (5.3.1; by
// tlsrpt::HttpsReportSender, retried a bounded number of times over about 5
// hours; pending ones wait in <data>/tlsrpt-outbox and are resumed after a
// restart). The last reported day is kept in <data>/tlsrpt-last-day so a
// restart neither skips nor repeats a day.

#include "engine/engine.h"

#include "config/settings.h"
#include "delivery/deliveryagent.h"
#include "dns/caresresolver.h"
#include "log/logstore.h"
#include "queue/localmessage.h"
#include "queue/queuestore.h"
#include "storage/database.h"
#include "tlsrpt/httpsreportsender.h"
#include "tlsrpt/reportbuilder.h"
#include "tlsrpt/ruarecord.h"

#include <QDir>
#include <QFile>
#include <QFutureWatcher>
#include <QPromise>
#include <QSaveFile>
#include <QThreadPool>
#include <QUuid>

namespace rd::engine {

using namespace rd::config::keys;

namespace {

constexpr int kMaxReportAddresses = 3;

QString lastDayPath(const QString &dataDir)
{
    return QDir(dataDir).filePath(QStringLiteral("tlsrpt-last-day"));
}

QDate readLastDay(const QString &dataDir)
{
    QFile f(lastDayPath(dataDir));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QDate::fromString(QString::fromLatin1(f.readAll().trimmed()), Qt::ISODate);
}

bool writeLastDay(const QString &dataDir, const QDate &day)
{
    QSaveFile f(lastDayPath(dataDir));
    return f.open(QIODevice::WriteOnly) && f.write(day.toString(Qt::ISODate).toLatin1() + '\n') > 0 && f.commit();
}

struct DayRows {
    QDate day;
    QHash<QString, QList<tlsrpt::ResultRow>> byDomain;
    QString error;
};

DayRows loadDay(const QString &dataDir, const QDate &day)
{
    DayRows out;
    out.day = day;
    const qint64 start = QDateTime(day, QTime(0, 0), Qt::UTC).toMSecsSinceEpoch();
    const qint64 end = start + 86400000;
    const QString conn = storage::uniqueConnectionName(QStringLiteral("tlsrpt"));
    {
        QSqlDatabase db = storage::openDatabase(dataDir, storage::DbKind::Log, conn, {}, &out.error);
        if (db.isOpen()) {
            for (const QString &d : tlsrpt::reportDomains(db, start, end, &out.error))
                out.byDomain.insert(d, tlsrpt::loadRows(db, d, start, end, &out.error));
        }
    }
    storage::closeDatabase(conn);
    return out;
}

} // namespace

void Engine::startTlsReports()
{
    if (!m_config.boolValue(kTlsRpt)) {
        if (m_tlsrptTimer)
            m_tlsrptTimer->stop();
        stopTlsReportSender(QStringLiteral("tlsrpt.enabled is off"));
        return;
    }
    if (!m_tlsrptHttps) {
        tlsrpt::HttpsSenderOptions o;
        o.caFile = m_config.stringValue(kMtaStsCaFile);
        o.outboxDir = QDir(m_dataDir).filePath(QStringLiteral("tlsrpt-outbox"));
        m_tlsrptHttps = new tlsrpt::HttpsReportSender(
            o,
            [this](const tlsrpt::HttpsReport &r, const tlsrpt::HttpsAttempt &a) {
                const QString day = r.day.toString(Qt::ISODate);
                const QString to = tlsrpt::httpsRuaForLog(r.url);
                if (a.delivered) {
                    systemLog(QStringLiteral("tlsrpt_sent"),
                              QStringLiteral("TLS report for %1 on %2 posted to %3 (HTTP %4)")
                                  .arg(r.policyDomain, day, to, QString::number(a.httpStatus)));
                } else if (a.retryInMs >= 0) {
                    systemLog(QStringLiteral("tlsrpt"),
                              QStringLiteral("%1: TLS report for %2 not posted to %3 (attempt %4 of %5): %6; "
                                             "retry in %7 s")
                                  .arg(r.policyDomain, day, to, QString::number(a.attempt),
                                       QString::number(a.maxAttempts), a.reason, QString::number(a.retryInMs / 1000)),
                              QStringLiteral("warning"));
                } else {
                    systemLog(QStringLiteral("tlsrpt"),
                              QStringLiteral("%1: TLS report for %2 not posted to %3 (attempt %4 of %5): %6; given up")
                                  .arg(r.policyDomain, day, to, QString::number(a.attempt),
                                       QString::number(a.maxAttempts), a.reason),
                              QStringLiteral("error"));
                }
            },
            this);
        m_tlsrptHttps->setResolver(m_resolver);
        int dropped = 0;
        if (const int resumed = m_tlsrptHttps->resume(&dropped))
            systemLog(QStringLiteral("tlsrpt"),
                      QStringLiteral("%1 TLS report(s) to https: addresses resumed from tlsrpt-outbox").arg(resumed));
        if (dropped)
            systemLog(QStringLiteral("tlsrpt"),
                      QStringLiteral("%1 TLS report(s) to https: addresses dropped from tlsrpt-outbox "
                                     "(older than 24 h, out of attempts or unreadable)")
                          .arg(dropped),
                      QStringLiteral("warning"));
    } else {
        m_tlsrptHttps->setCaFile(m_config.stringValue(kMtaStsCaFile));
    }
    m_tlsrptHttps->setResolver(m_resolver); // retries use the current resolver after a DNS settings change
    if (!m_tlsrptTimer) {
        m_tlsrptTimer = new QTimer(this);
        connect(m_tlsrptTimer, &QTimer::timeout, this, &Engine::sendTlsReports);
    }
    if (!m_tlsrptTimer->isActive()) {
        m_tlsrptTimer->start(3600 * 1000); // hourly: the first run after midnight UTC reports the day before
        QTimer::singleShot(5000, this, &Engine::sendTlsReports);
    }
}

void Engine::sendTlsReports()
{
    if (!m_config.boolValue(kTlsRpt) || !m_queue || m_tlsrptRunning)
        return;
    const QDate yesterday = QDateTime::currentDateTimeUtc().date().addDays(-1);
    const QDate last = readLastDay(m_dataDir);
    if (last.isValid() && last >= yesterday)
        return;
    // Days missed while the relay was off are reported too, up to a week back.
    QDate day = last.isValid() ? last.addDays(1) : yesterday;
    if (day < yesterday.addDays(-6))
        day = yesterday.addDays(-6);
    m_tlsrptRunning = true;
    auto promise = std::make_shared<QPromise<DayRows>>();
    auto *watcher = new QFutureWatcher<DayRows>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, yesterday] {
        const DayRows rows = watcher->future().resultCount() > 0 ? watcher->result() : DayRows{};
        watcher->deleteLater();
        m_tlsrptRunning = false;
        if (!rows.error.isEmpty()) {
            systemLog(QStringLiteral("tlsrpt"), QStringLiteral("TLS-RPT rows of %1 unreadable: %2")
                                                    .arg(rows.day.toString(Qt::ISODate), rows.error),
                      QStringLiteral("warning"));
            return;
        }
        for (auto it = rows.byDomain.begin(); it != rows.byDomain.end(); ++it)
            reportTlsDomain(rows.day, it.key(), it.value());
        writeLastDay(m_dataDir, rows.day);
        if (rows.day < yesterday)
            QTimer::singleShot(0, this, &Engine::sendTlsReports); // the next missed day
    });
    watcher->setFuture(promise->future());
    promise->start();
    const QString dataDir = m_dataDir;
    QThreadPool::globalInstance()->start([promise, dataDir, day] {
        promise->addResult(loadDay(dataDir, day));
        promise->finish();
    });
}

void Engine::reportTlsDomain(const QDate &day, const QString &domain, const QList<tlsrpt::ResultRow> &rows)
{
    if (!m_resolver)
        return;
    m_resolver->lookupTxt(QStringLiteral("_smtp._tls.") + domain, this, [this, day, domain, rows](const dns::Answer &a) {
        if (!a.ok()) {
            if (a.status != dns::Status::NxDomain && a.status != dns::Status::NoData)
                systemLog(QStringLiteral("tlsrpt"),
                          QStringLiteral("%1: the _smtp._tls TXT lookup failed; no report for %2")
                              .arg(domain, day.toString(Qt::ISODate)),
                          QStringLiteral("warning"));
            return; // the domain asks for no reports
        }
        QList<QByteArray> texts;
        for (const dns::TxtRecord &t : a.txt)
            texts << t.text();
        tlsrpt::RuaRecord rua;
        QString why;
        if (!tlsrpt::selectRuaRecord(texts, &rua, &why)) {
            systemLog(QStringLiteral("tlsrpt"), QStringLiteral("%1: no usable TLSRPTv1 record (%2)").arg(domain, why),
                      QStringLiteral("warning"));
            return;
        }
        const QString host = hostname();
        tlsrpt::ReportMeta meta;
        meta.organization = host;
        meta.contact = QStringLiteral("postmaster@") + host;
        meta.policyDomain = domain;
        meta.start = QDateTime(day, QTime(0, 0), Qt::UTC);
        meta.end = meta.start.addDays(1);
        meta.reportId = QStringLiteral("%1_%2_%3")
                            .arg(meta.start.toString(Qt::ISODate), domain,
                                 QUuid::createUuid().toString(QUuid::WithoutBraces).left(8));
        const QByteArray gz = tlsrpt::gzip(tlsrpt::buildReportJson(rows, meta));
        int sent = 0;
        for (const QUrl &uri : std::as_const(rua.rua)) {
            if (sent >= kMaxReportAddresses)
                break;
            if (uri.scheme() == QLatin1String("https")) {
                ++sent;
                if (!m_tlsrptHttps) // tlsrpt.enabled went off meanwhile
                    continue;
                m_tlsrptHttps->setResolver(m_resolver);
                if (!m_tlsrptHttps->submit(tlsrpt::HttpsReport{uri, domain, day, gz}))
                    systemLog(QStringLiteral("tlsrpt"),
                              QStringLiteral("%1: TLS report for %2 not posted to %3: %4 reports already pending")
                                  .arg(domain, day.toString(Qt::ISODate), tlsrpt::httpsRuaForLog(uri),
                                       QString::number(m_tlsrptHttps->pending())),
                              QStringLiteral("error"));
                continue;
            }
            if (uri.scheme() != QLatin1String("mailto"))
                continue; // parseRuaRecord() allows only mailto: and https:
            const QString to = uri.path(QUrl::FullyDecoded);
            queue::LocalMessage m;
            m.sender = meta.contact.toUtf8();
            m.recipients << to.toUtf8();
            m.content = tlsrpt::buildReportMail(meta.contact, to, host, meta, gz, host);
            m.origin = QStringLiteral("tlsrpt");
            queue::QueueEntry entry;
            QString tmp, error;
            if (!m_queue || !queue::writeLocalMessage(m_queue->spoolDir(), m, &entry, &tmp, &error)) {
                systemLog(QStringLiteral("tlsrpt"), QStringLiteral("%1: report not queued: %2").arg(domain, error),
                          QStringLiteral("error"));
                continue;
            }
            ++sent;
            m_queue->commit(entry, tmp, [this, entry, to, domain, day](bool ok, QString err) {
                if (!ok) {
                    systemLog(QStringLiteral("tlsrpt"), QStringLiteral("%1: report not queued: %2").arg(domain, err),
                              QStringLiteral("error"));
                    return;
                }
                systemLog(QStringLiteral("tlsrpt_sent"),
                          QStringLiteral("TLS report for %1 on %2 queued as %3 to %4")
                              .arg(domain, day.toString(Qt::ISODate), entry.info.queueId, to));
                messageQueued(entry, QStringLiteral("local"), QString());
                if (m_delivery)
                    m_delivery->enqueue(entry);
            });
        }
        if (rua.rua.size() > kMaxReportAddresses)
            systemLog(QStringLiteral("tlsrpt"),
                      QStringLiteral("%1: %2 report address(es) after the first %3 skipped")
                          .arg(domain)
                          .arg(rua.rua.size() - kMaxReportAddresses)
                          .arg(kMaxReportAddresses));
    });
}

void Engine::stopTlsReportSender(const QString &why)
{
    if (!m_tlsrptHttps)
        return;
    if (const int n = m_tlsrptHttps->pending())
        systemLog(QStringLiteral("tlsrpt"),
                  QStringLiteral("%1 TLS report(s) to https: addresses still pending (%2): kept in tlsrpt-outbox for "
                                 "the next start")
                      .arg(QString::number(n), why));
    delete m_tlsrptHttps; // on the engine thread: its network manager and replies belong to it
    m_tlsrptHttps = nullptr;
}

} // namespace rd::engine
