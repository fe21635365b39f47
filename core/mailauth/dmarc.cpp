#include "mailauth/dmarc.h"

#include <QRandomGenerator>

namespace rd::mailauth {

struct DmarcEvaluator::Job {
    QString from;     // lower case, no trailing dot
    QString orgDomain;
    DmarcSpfInput spf;
    QList<DmarcDkimInput> dkim;
    QPointer<QObject> context;
    bool hasContext = false;
    std::function<void(const DmarcOutcome &)> done;
};

namespace {

QString normalized(const QString &domain)
{
    QString d = domain.trimmed().toLower();
    if (d.endsWith(QLatin1Char('.')))
        d.chop(1);
    return d;
}

// RFC 7489 6.6.4: a message not selected by pct gets the next less strict policy.
QString milder(const QString &policy)
{
    if (policy == QLatin1String("reject"))
        return QStringLiteral("quarantine");
    return QStringLiteral("none");
}

DmarcOutcome baseOutcome(const QString &from)
{
    DmarcOutcome o;
    o.headerFrom = from;
    o.disposition = QStringLiteral("none");
    return o;
}

} // namespace

bool dmarcAligned(const QString &fromDomain, const QString &authDomain, bool strict, const PublicSuffixList &psl)
{
    const QString from = PublicSuffixList::aceForm(fromDomain);
    const QString other = PublicSuffixList::aceForm(authDomain);
    if (from.isEmpty() || other.isEmpty())
        return false;
    if (strict)
        return from == other;
    return psl.organizationalDomain(from) == psl.organizationalDomain(other);
}

AuthResultsEntry dmarcAuthResultsEntry(const DmarcOutcome &outcome)
{
    AuthResultsEntry e;
    e.method = QStringLiteral("dmarc");
    e.result = outcome.result;
    if (outcome.result != QLatin1String("pass"))
        e.reason = outcome.reason;
    if (!outcome.headerFrom.isEmpty())
        e.properties.append({QStringLiteral("header.from"), outcome.headerFrom});
    return e;
}

DmarcEvaluator::DmarcEvaluator(dns::Resolver *resolver, const PublicSuffixList &psl, QObject *parent)
    : QObject(parent), m_resolver(resolver), m_psl(psl),
      m_roll([] { return int(QRandomGenerator::global()->bounded(100)); })
{
}

DmarcEvaluator::~DmarcEvaluator() = default;

void DmarcEvaluator::setRandomSource(std::function<int()> percentRoll)
{
    m_roll = std::move(percentRoll);
}

void DmarcEvaluator::evaluate(const QString &headerFromDomain, const DmarcSpfInput &spf,
                              const QList<DmarcDkimInput> &dkim, QObject *context,
                              std::function<void(const DmarcOutcome &)> done)
{
    auto job = std::make_shared<Job>();
    job->from = normalized(headerFromDomain);
    job->spf = spf;
    job->dkim = dkim;
    job->context = context;
    job->hasContext = context != nullptr;
    job->done = std::move(done);

    const QString ace = PublicSuffixList::aceForm(job->from);
    if (ace.isEmpty() || !dns::isValidQueryName(QStringLiteral("_dmarc.") + ace)) {
        DmarcOutcome o = baseOutcome(job->from);
        o.result = QStringLiteral("permerror");
        o.reason = job->from.isEmpty() ? QStringLiteral("The message has no usable From domain.")
                                       : QStringLiteral("The From domain \"%1\" is not a valid domain name.").arg(job->from);
        finishLater(job, o);
        return;
    }
    job->orgDomain = m_psl.organizationalDomain(job->from);
    if (!m_resolver) {
        DmarcOutcome o = baseOutcome(job->from);
        o.result = QStringLiteral("temperror");
        o.reason = QStringLiteral("No DNS resolver is available to look up the DMARC record.");
        finishLater(job, o);
        return;
    }
    lookupRecord(job, job->from, false);
}

void DmarcEvaluator::lookupRecord(const std::shared_ptr<Job> &job, const QString &domain, bool atOrgDomain)
{
    m_resolver->lookupTxt(QStringLiteral("_dmarc.") + domain, this,
                          [this, job, domain, atOrgDomain](const dns::Answer &answer) {
                              onAnswer(job, domain, atOrgDomain, answer);
                          });
}

void DmarcEvaluator::onAnswer(const std::shared_ptr<Job> &job, const QString &domain, bool atOrgDomain,
                              const dns::Answer &answer)
{
    if (job->hasContext && !job->context)
        return;
    const QString name = QStringLiteral("_dmarc.") + domain;
    if (dns::isTemporary(answer.status)) {
        DmarcOutcome o = baseOutcome(job->from);
        o.result = QStringLiteral("temperror");
        o.reason = QStringLiteral("The DNS lookup of %1 failed temporarily (%2); try again later.")
                       .arg(name, dns::statusName(answer.status));
        finish(job, o);
        return;
    }
    QStringList records;
    if (answer.ok()) {
        for (const dns::TxtRecord &txt : answer.txt) {
            const QString text = QString::fromUtf8(txt.text());
            if (isDmarcRecordText(text))
                records << text;
        }
    }
    if (records.size() > 1) {
        DmarcOutcome o = baseOutcome(job->from);
        o.result = QStringLiteral("permerror");
        o.recordDomain = domain;
        o.reason = QStringLiteral("%1 has %2 DMARC records; with more than one, no policy applies (RFC 7489 "
                                  "6.6.3). Publish exactly one.")
                       .arg(name)
                       .arg(records.size());
        finish(job, o);
        return;
    }
    if (records.isEmpty()) {
        if (!atOrgDomain && job->orgDomain != job->from) {
            lookupRecord(job, job->orgDomain, true);
            return;
        }
        DmarcOutcome o = baseOutcome(job->from);
        o.result = QStringLiteral("none");
        o.reason = atOrgDomain ? QStringLiteral("No DMARC record at _dmarc.%1 nor at %2.").arg(job->from, name)
                               : QStringLiteral("No DMARC record at %1.").arg(name);
        finish(job, o);
        return;
    }
    const DmarcRecord record = parseDmarcRecord(records.first());
    if (!record.applies) {
        DmarcOutcome o = baseOutcome(job->from);
        o.result = QStringLiteral("permerror");
        o.recordDomain = domain;
        o.record = record;
        o.reason = QStringLiteral("The DMARC record at %1 is not usable: %2").arg(name, record.error);
        finish(job, o);
        return;
    }
    decide(job, domain, atOrgDomain, record);
}

void DmarcEvaluator::decide(const std::shared_ptr<Job> &job, const QString &domain, bool atOrgDomain,
                            const DmarcRecord &record)
{
    DmarcOutcome o = baseOutcome(job->from);
    o.recordDomain = domain;
    o.record = record;
    o.policy = atOrgDomain ? record.sp : record.p;

    const bool spfStrict = record.aspf == QLatin1Char('s');
    const bool dkimStrict = record.adkim == QLatin1Char('s');
    const QString spfResult = job->spf.result.trimmed().toLower();
    o.spfAligned = spfResult == QLatin1String("pass") && dmarcAligned(job->from, job->spf.domain, spfStrict, m_psl);
    QString dkimDomain;
    for (const DmarcDkimInput &d : job->dkim) {
        if (d.result.trimmed().toLower() == QLatin1String("pass")
            && dmarcAligned(job->from, d.domain, dkimStrict, m_psl)) {
            o.dkimAligned = true;
            dkimDomain = normalized(d.domain);
            break;
        }
    }
    const QString spfMode = spfStrict ? QStringLiteral("strict") : QStringLiteral("relaxed");
    const QString dkimMode = dkimStrict ? QStringLiteral("strict") : QStringLiteral("relaxed");

    if (o.spfAligned || o.dkimAligned) {
        o.result = QStringLiteral("pass");
        o.reason = o.dkimAligned
                       ? QStringLiteral("A valid DKIM signature of %1 is aligned (%2) with the From domain %3.")
                             .arg(dkimDomain, dkimMode, job->from)
                       : QStringLiteral("SPF passed for %1, which is aligned (%2) with the From domain %3.")
                             .arg(normalized(job->spf.domain), spfMode, job->from);
        finish(job, o);
        return;
    }

    o.result = QStringLiteral("fail");
    QStringList why;
    if (spfResult != QLatin1String("pass"))
        why << QStringLiteral("SPF did not pass (%1)").arg(spfResult.isEmpty() ? QStringLiteral("none") : spfResult);
    else
        why << QStringLiteral("SPF passed for %1, which is not aligned (%2) with %3")
                   .arg(normalized(job->spf.domain), spfMode, job->from);
    bool anyDkimPass = false;
    for (const DmarcDkimInput &d : job->dkim)
        anyDkimPass |= d.result.trimmed().toLower() == QLatin1String("pass");
    if (job->dkim.isEmpty())
        why << QStringLiteral("the message has no DKIM signature");
    else if (!anyDkimPass)
        why << QStringLiteral("no DKIM signature verified");
    else
        why << QStringLiteral("no valid DKIM signature is aligned (%1) with %2").arg(dkimMode, job->from);

    if (o.policy == QLatin1String("none")) {
        o.disposition = QStringLiteral("none");
    } else {
        const int roll = m_roll ? m_roll() : 0;
        if (roll < record.pct) {
            o.disposition = o.policy;
        } else {
            o.disposition = milder(o.policy);
            o.sampledOut = true;
        }
    }
    o.reason = QStringLiteral("DMARC fails: %1. Policy of %2: %3%4.")
                   .arg(why.join(QStringLiteral("; ")), domain, o.policy,
                        o.sampledOut ? QStringLiteral(" (pct=%1 sampling gave %2)").arg(record.pct).arg(o.disposition)
                                     : QString());
    finish(job, o);
}

void DmarcEvaluator::finish(const std::shared_ptr<Job> &job, const DmarcOutcome &outcome)
{
    if (job->hasContext && !job->context)
        return;
    if (job->done)
        job->done(outcome);
}

void DmarcEvaluator::finishLater(const std::shared_ptr<Job> &job, const DmarcOutcome &outcome)
{
    QMetaObject::invokeMethod(
        this, [this, job, outcome] { finish(job, outcome); }, Qt::QueuedConnection);
}

} // namespace rd::mailauth
