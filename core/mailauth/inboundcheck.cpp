#include "mailauth/inboundcheck.h"

#include "dns/resolver.h"
#include "mailauth/authresults.h"
#include "mailauth/publicsuffix.h"

#include <QPointer>
#include <QTimer>

#include <memory>

namespace rd::mailauth {
namespace {


struct CheckState {
    InboundCheckRequest request;
    InboundCheckOutcome outcome;
    QPointer<QObject> context;
    bool hasContext = false;
    std::function<void(const InboundCheckOutcome &)> done;
    bool spfDone = false;
    bool dkimDone = false;
    bool dmarcStarted = false;
    bool finished = false;
    QObject *guard = nullptr; // owns the timer; deleted when the check ends
};

} // namespace

InboundChecker::InboundChecker(dns::Resolver *resolver, const QString &authservId, QObject *parent)
    : QObject(parent)
    , m_resolver(resolver)
    , m_authservId(authservId)
    , m_spf(new SpfEvaluator(resolver, this))
    , m_dkim(new DkimVerifier(resolver, this))
    , m_dmarc(new DmarcEvaluator(resolver, PublicSuffixList::system(), this))
{
}

void InboundChecker::check(const InboundCheckRequest &request, QObject *context,
                           std::function<void(const InboundCheckOutcome &)> done)
{
    auto st = std::make_shared<CheckState>();
    st->request = request;
    st->context = context;
    st->hasContext = context != nullptr;
    st->done = std::move(done);
    st->guard = new QObject(this);
    QObject *guard = st->guard;
    const QString authservId = m_authservId;

    auto finish = [st, authservId] {
        if (st->finished)
            return;
        st->finished = true;
        st->outcome.header = composeHeader(authservId, st->request, st->outcome, &st->outcome.summary);
        st->guard->deleteLater();
        if (!st->hasContext || st->context)
            st->done(st->outcome);
    };
    auto startDmarc = [this, st, finish, guard] {
        if (st->dmarcStarted || !st->spfDone || !st->dkimDone)
            return;
        st->dmarcStarted = true;
        const qsizetype headEnd = st->request.message.indexOf("\r\n\r\n");
        const QByteArray head = headEnd < 0 ? st->request.message : st->request.message.left(headEnd + 2);
        QString why;
        const QString from = headerFromDomain(head, &why);
        if (from.isEmpty()) {
            st->outcome.dmarc.result = QStringLiteral("permerror");
            st->outcome.dmarc.reason = why.isEmpty() ? QStringLiteral("no usable From header") : why;
            finish();
            return;
        }
        DmarcSpfInput spf;
        spf.result = spfResultName(st->outcome.spf.result);
        spf.domain = st->outcome.spf.domain;
        QList<DmarcDkimInput> dkim;
        for (const DkimSignatureResult &r : st->outcome.dkim)
            dkim << DmarcDkimInput{dkimResultName(r.result), r.domain};
        m_dmarc->evaluate(from, spf, dkim, guard, [st, finish](const DmarcOutcome &o) {
            if (st->finished)
                return;
            st->outcome.dmarc = o;
            finish();
        });
    };

    SpfRequest sr;
    sr.ip = request.clientIp;
    sr.helo = request.helo;
    sr.sender = request.mailFrom;
    sr.receiver = m_authservId;
    m_spf->check(sr, guard, [st, startDmarc](const SpfOutcome &o) {
        if (st->finished)
            return;
        st->outcome.spf = o;
        st->spfDone = true;
        startDmarc();
    });
    m_dkim->verify(request.message, guard, [st, startDmarc](const QList<DkimSignatureResult> &r) {
        if (st->finished)
            return;
        st->outcome.dkim = r;
        st->dkimDone = true;
        startDmarc();
    });

    auto *timer = new QTimer(guard);
    timer->setSingleShot(true);
    connect(timer, &QTimer::timeout, guard, [st, finish] {
        st->outcome.timedOut = true;
        if (!st->spfDone) {
            st->outcome.spf.result = SpfResult::TempError;
            st->outcome.spf.problem = QStringLiteral("the check took too long");
        }
        if (!st->dkimDone) {
            DkimSignatureResult r;
            r.result = DkimResult::TempError;
            r.reason = QStringLiteral("the check took too long");
            st->outcome.dkim = {r};
        }
        if (st->outcome.dmarc.result.isEmpty()) {
            st->outcome.dmarc.result = QStringLiteral("temperror");
            st->outcome.dmarc.reason = QStringLiteral("the check took too long");
        }
        finish();
    });
    timer->start(m_timeLimitMs);
}

QByteArray InboundChecker::composeHeader(const QString &authservId, const InboundCheckRequest &request,
                                         const InboundCheckOutcome &o, QString *summary)
{
    QList<AuthResultsEntry> entries;
    QStringList parts;

    AuthResultsEntry spf;
    spf.method = QStringLiteral("spf");
    spf.result = spfResultName(o.spf.result);
    if (!o.spf.problem.isEmpty() && o.spf.result != SpfResult::Pass)
        spf.reason = o.spf.problem;
    if (request.mailFrom.isEmpty())
        spf.properties << qMakePair(QStringLiteral("smtp.helo"), request.helo);
    else
        spf.properties << qMakePair(QStringLiteral("smtp.mailfrom"), request.mailFrom);
    entries << spf;
    parts << QStringLiteral("spf=%1").arg(spf.result);

    if (o.dkim.isEmpty()) {
        AuthResultsEntry e;
        e.method = QStringLiteral("dkim");
        e.result = QStringLiteral("none");
        entries << e;
        parts << QStringLiteral("dkim=none");
    }
    for (const DkimSignatureResult &r : o.dkim) {
        AuthResultsEntry e;
        e.method = QStringLiteral("dkim");
        e.result = dkimResultName(r.result);
        if (r.result != DkimResult::Pass && !r.reason.isEmpty())
            e.reason = r.reason;
        if (!r.domain.isEmpty())
            e.properties << qMakePair(QStringLiteral("header.d"), r.domain);
        if (!r.selector.isEmpty())
            e.properties << qMakePair(QStringLiteral("header.s"), r.selector);
        if (!r.algorithm.isEmpty())
            e.properties << qMakePair(QStringLiteral("header.a"), r.algorithm);
        if (!r.headerB.isEmpty())
            e.properties << qMakePair(QStringLiteral("header.b"), QString::fromLatin1(r.headerB.left(8)));
        entries << e;
        parts << QStringLiteral("dkim=%1%2").arg(e.result, r.domain.isEmpty() ? QString() : QStringLiteral("(%1)").arg(r.domain));
    }

    AuthResultsEntry dm;
    dm.method = QStringLiteral("dmarc");
    dm.result = o.dmarc.result.isEmpty() ? QStringLiteral("none") : o.dmarc.result;
    if (dm.result != QLatin1String("pass") && !o.dmarc.reason.isEmpty())
        dm.reason = o.dmarc.reason;
    if (!o.dmarc.policy.isEmpty())
        dm.properties << qMakePair(QStringLiteral("policy.dmarc"), o.dmarc.policy);
    if (!o.dmarc.headerFrom.isEmpty())
        dm.properties << qMakePair(QStringLiteral("header.from"), o.dmarc.headerFrom);
    entries << dm;
    parts << QStringLiteral("dmarc=%1").arg(dm.result);

    if (summary)
        *summary = parts.join(QLatin1Char(' '));
    return authenticationResultsHeader(authservId, entries);
}

} // namespace rd::mailauth
