// Outbound TLS that cannot be silently downgraded: MTA-STS (RFC 8461) and
// DANE (RFC 7672) policies for delivery by MX, their outcomes in the log, and
// TLS-RPT (RFC 8460) result rows for the daily reports.

#include "engine/engine.h"

#include "config/settings.h"
#include "delivery/deliveryagent.h"
#include "delivery/mxresolve.h"
#include "dns/caresresolver.h"
#include "log/logstore.h"
#include "mtasts/policystore.h"
#include "mtasts/stsresolver.h"
#include "storage/database.h"
#include "tlsrpt/resultwriter.h"

#include <QSqlDatabase>
#include <QThreadPool>

namespace rd::engine {

using namespace rd::config::keys;

namespace {

QString policyRule(const delivery::MxTlsPolicy &p)
{
    switch (p.kind) {
    case delivery::MxTlsPolicy::Kind::MtaSts:
        return p.testing ? QStringLiteral("mta-sts testing") : QStringLiteral("mta-sts enforce");
    case delivery::MxTlsPolicy::Kind::Dane:
        return QStringLiteral("dane");
    case delivery::MxTlsPolicy::Kind::Opportunistic:
        break;
    }
    return QStringLiteral("opportunistic");
}

} // namespace

void Engine::startMxTls()
{
    delete m_sts;
    m_sts = nullptr;
    if (m_config.boolValue(kMtaSts) && m_resolver) {
        mtasts::FetcherOptions fo;
        fo.caFile = m_config.stringValue(kMtaStsCaFile);
        fo.port = quint16(m_config.intValue(kMtaStsPolicyPort));
        m_sts = new mtasts::StsResolver(m_resolver, mtasts::StsResolver::makeFetchFn(m_resolver, fo, this), this);
        // Policies cached by earlier runs (config.db): read once here, written on a worker.
        QString error;
        const QString conn = storage::uniqueConnectionName(QStringLiteral("mtasts"));
        {
            QSqlDatabase db = storage::openDatabase(m_dataDir, storage::DbKind::Config, conn, {}, &error);
            if (db.isOpen()) {
                const QList<mtasts::CachedPolicy> cached = mtasts::loadPolicies(db, &error);
                m_sts->preload(cached);
            }
        }
        storage::closeDatabase(conn);
        if (!error.isEmpty())
            systemLog(QStringLiteral("mta_sts"), QStringLiteral("cached policies: %1").arg(error),
                      QStringLiteral("warning"));
        const QString dataDir = m_dataDir;
        m_sts->setPersist([dataDir](const mtasts::CachedPolicy &p) {
            QThreadPool::globalInstance()->start([dataDir, p] {
                QString err;
                const QString c = storage::uniqueConnectionName(QStringLiteral("mtasts-save"));
                {
                    QSqlDatabase db = storage::openDatabase(dataDir, storage::DbKind::Config, c, {}, &err);
                    if (db.isOpen())
                        mtasts::savePolicy(db, p, &err);
                }
                storage::closeDatabase(c);
            });
        });
    }
    if (m_config.boolValue(kTlsRpt)) {
        if (!m_tlsResults)
            m_tlsResults = std::make_unique<tlsrpt::TlsResultWriter>(m_dataDir);
    } else {
        m_tlsResults.reset();
    }
    startTlsReports();
}

void Engine::lookupMx(const QString &domain, std::function<void(delivery::MxAnswer)> done)
{
    const bool dane = m_config.boolValue(kDane);
    if (!m_sts && !dane) {
        delivery::resolveMx(m_resolver, this, domain, std::move(done));
        return;
    }
    delivery::MxSecurityOptions o;
    o.mtaSts = m_sts;
    o.dane = dane;
    o.mtaStsCaFile = m_config.stringValue(kMtaStsCaFile);
    delivery::resolveMxSecure(m_resolver, o, this, domain, [this, domain, done](delivery::SecureMxAnswer s) {
        if (!s.mtaStsFailureType.isEmpty()) {
            log::LogEvent e;
            e.kind = log::LogKind::Delivery;
            e.direction = QStringLiteral("out");
            e.level = QStringLiteral("warning");
            e.result = QStringLiteral("tls_policy");
            e.rule = QStringLiteral("mta-sts");
            e.message = QStringLiteral("MTA-STS policy of %1 unavailable (%2): %3")
                            .arg(domain, s.mtaStsFailureType, s.mtaStsFailureDetail);
            log(e);
            if (m_tlsResults)
                m_tlsResults->recordPolicyFailure(domain, QStringLiteral("sts"), s.mtaStsFailureType,
                                                  s.mtaStsFailureDetail);
        }
        for (const delivery::TlsCheck &c : std::as_const(s.rejected))
            tlsChecked(c);
        delivery::MxAnswer a = s.answer;
        a.tlsPolicies = s.policies;
        done(a);
    });
}

void Engine::tlsChecked(const delivery::TlsCheck &check)
{
    if (m_tlsResults)
        m_tlsResults->record(check);
    if (check.policy.kind == delivery::MxTlsPolicy::Kind::Opportunistic && check.success)
        return; // the delivery row already says which TLS was used
    log::LogEvent e;
    e.kind = log::LogKind::Delivery;
    e.direction = QStringLiteral("out");
    e.level = check.success ? QStringLiteral("info") : QStringLiteral("warning");
    e.result = check.success ? QStringLiteral("tls_verified") : QStringLiteral("tls_failed");
    e.rule = policyRule(check.policy);
    e.recipients = check.policy.domain;
    e.message = QStringLiteral("%1 %2 [%3]: %4%5")
                    .arg(e.rule, check.policy.mxHost, check.peerAddress,
                         check.success ? QStringLiteral("certificate verified") : check.resultType,
                         check.detail.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(check.detail));
    log(e);
}

} // namespace rd::engine
