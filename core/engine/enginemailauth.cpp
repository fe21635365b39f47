// Engine, mail authentication: DKIM signing of outbound mail and the inbound
// SPF/DKIM/DMARC checks (core/mailauth).

#include "engine/engine.h"

#include "config/dkimkeystore.h"
#include "config/settings.h"
#include "delivery/dkimsigning.h"
#include "dnscheck/dnschecker.h"
#include "dnscheck/dnscheckhistory.h"
#include "dns/caresresolver.h"
#include "log/logtypes.h"
#include "mailauth/inboundcheck.h"
#include "queue/queuestore.h"

#include <QFile>
#include <QHostAddress>

namespace rd::engine {

using namespace rd::config::keys;

void Engine::reloadDkimKeys()
{
    if (!m_dkim)
        m_dkim = std::make_unique<delivery::DkimSigner>();
    config::DkimKeyStore store(m_dataDir);
    QString error;
    const QList<config::DkimSigningKey> keys = store.isOpen() ? store.signingKeys(&error) : QList<config::DkimSigningKey>();
    if (!store.isOpen())
        error = store.errorString();
    if (!error.isEmpty())
        systemLog(QStringLiteral("dkim"), QStringLiteral("cannot read the DKIM keys: %1").arg(error),
                  QStringLiteral("error"));
    QStringList problems;
    m_dkim->setKeys(keys, &problems);
    for (const QString &p : problems)
        systemLog(QStringLiteral("dkim"), p, QStringLiteral("error"));
    QStringList names;
    for (const config::DkimSigningKey &k : keys)
        names << QStringLiteral("%1._domainkey.%2").arg(k.selector, k.domain);
    systemLog(QStringLiteral("dkim"), names.isEmpty() ? QStringLiteral("no DKIM signing keys")
                                                      : QStringLiteral("signing with %1").arg(names.join(QStringLiteral(", "))));
}

QByteArray Engine::dkimHeaders(const queue::QueueEntry &entry)
{
    // Only mail from our own clients (relay right) and mail made here is ours to sign.
    if (!m_dkim || m_dkim->isEmpty() || entry.origin == QLatin1String("inbound"))
        return {};
    const delivery::DkimSignResult r = m_dkim->sign(entry.info.queueId, entry.spoolPath, entry.bodyOffset, entry.prepend);
    if (!r.error.isEmpty()) {
        log::LogEvent e;
        e.kind = log::LogKind::System;
        e.level = QStringLiteral("warning");
        e.queueId = entry.info.queueId;
        e.rule = QStringLiteral("dkim");
        e.message = QStringLiteral("%1; sent without that signature").arg(r.error);
        log(e);
    }
    return r.headers;
}

void Engine::startMailAuth()
{
    if (m_checker) {
        // Checks in flight end by their own time limit; then the old checker goes.
        mailauth::InboundChecker *old = m_checker;
        QTimer::singleShot(int(m_config.intValue(kInboundCheckTimeout)) + 2000, old, &QObject::deleteLater);
        m_checker = nullptr;
    }
    if (!m_resolver)
        return;
    m_checker = new mailauth::InboundChecker(m_resolver, hostname(), this);
    m_checker->setTimeLimitMs(int(m_config.intValue(kInboundCheckTimeout)));
}

bool Engine::inboundChecksEnabled() const
{
    return m_checker && m_config.boolValue(kInboundChecks);
}

void Engine::checkInbound(const QString &clientIp, const QString &helo, const QString &mailFrom,
                          const QString &spoolPath, qint64 bodyOffset,
                          std::function<void(const QByteArray &, const QString &)> done)
{
    QFile f(spoolPath);
    mailauth::InboundCheckRequest req;
    req.clientIp = QHostAddress(clientIp);
    req.helo = helo;
    req.mailFrom = mailFrom;
    if (!m_checker || !f.open(QIODevice::ReadOnly) || !f.seek(bodyOffset)) {
        QMetaObject::invokeMethod(this, [done] { done({}, QStringLiteral("checks=skipped")); }, Qt::QueuedConnection);
        return;
    }
    req.message = f.readAll();
    // Our own Received field is the first line(s) of the spool copy: DKIM does
    // not sign it and SPF/DMARC do not read it, so it stays in.
    m_checker->check(req, nullptr, [done](const mailauth::InboundCheckOutcome &o) { done(o.header, o.summary); });
}

void Engine::runDnsCheck(const QString &domain)
{
    const QString d = domain.trimmed().toLower();
    if (m_dnsChecksRunning.contains(d))
        return;
    dnscheck::CheckInput in = dnscheck::checkInputFor(m_config, m_dataDir, d);
    in.heloName = hostname();
    if (!m_resolver) {
        dnscheck::Report r;
        r.domain = d;
        r.when = QDateTime::currentDateTimeUtc();
        dnscheck::Finding f;
        f.check = QStringLiteral("engine");
        f.status = dnscheck::Status::Fail;
        f.title = QStringLiteral("The engine has no DNS resolver");
        r.findings << f;
        emit dnsCheckFinished(r);
        return;
    }
    m_dnsChecksRunning << d;
    auto *checker = new dnscheck::DnsChecker(m_resolver, in, this);
    connect(checker, &dnscheck::DnsChecker::progress, this,
            [this, d](const QString &step, int done, int total) { emit dnsCheckProgress(d, step, done, total); });
    connect(checker, &dnscheck::DnsChecker::finished, this, [this, checker, d](const dnscheck::Report &report) {
        m_dnsChecksRunning.removeAll(d);
        dnscheck::Report stored = report;
        dnscheck::DnsCheckHistory history(m_dataDir);
        QString error;
        if (!history.isOpen() || !history.store(&stored, &error))
            systemLog(QStringLiteral("dns_check"),
                      QStringLiteral("cannot store the report: %1").arg(history.isOpen() ? error : history.errorString()),
                      QStringLiteral("error"));
        systemLog(QStringLiteral("dns_check"),
                  QStringLiteral("domain=%1 result=%2 pass=%3 warn=%4 fail=%5 ms=%6")
                      .arg(d, dnscheck::statusName(stored.worst()))
                      .arg(stored.count(dnscheck::Status::Pass))
                      .arg(stored.count(dnscheck::Status::Warn))
                      .arg(stored.count(dnscheck::Status::Fail))
                      .arg(stored.durationMs));
        emit dnsCheckFinished(stored);
        checker->deleteLater();
    });
    checker->start();
}

} // namespace rd::engine
