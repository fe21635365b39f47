// The DNS-querying mechanisms of SpfSession (RFC 7208 5.2-5.7) and the
// validated client names behind %{p} (RFC 7208 7.3).

#include "mailauth/spfsession.h"

namespace rd::mailauth {

using namespace spflimits;

void SpfSession::matchA(const FramePtr &f, int index, const QString &target)
{
    ask(target, addressType(), [this, f, index, target](const dns::Answer &a) {
        const SpfMechanism &m = f->record.mechanisms[index];
        if (dns::isTemporary(a.status))
            return mechanismDone(f, index, Match::Temp, dnsProblem(a, target));
        if (!a.ok()) {
            if (!countVoid())
                return mechanismDone(f, index, Match::Perm,
                                     QStringLiteral("more than %1 void lookups").arg(kVoidLimit));
            return mechanismDone(f, index, Match::No);
        }
        mechanismDone(f, index, addressMatches(a.addresses, m.cidr4, m.cidr6) ? Match::Yes : Match::No);
    });
}

void SpfSession::matchMx(const FramePtr &f, int index, const QString &target)
{
    ask(target, dns::RecordType::MX, [this, f, index, target](const dns::Answer &a) {
        if (dns::isTemporary(a.status))
            return mechanismDone(f, index, Match::Temp, dnsProblem(a, target));
        if (!a.ok()) {
            if (!countVoid())
                return mechanismDone(f, index, Match::Perm,
                                     QStringLiteral("more than %1 void lookups").arg(kVoidLimit));
            return mechanismDone(f, index, Match::No);
        }
        QStringList hosts;
        for (const dns::MxRecord &mx : std::as_const(a.mx)) {
            if (!mx.isNull() && !mx.exchange.isEmpty())
                hosts.append(mx.exchange);
        }
        if (a.mx.size() > kMxLimit) {
            return mechanismDone(f, index, Match::Perm,
                                 QStringLiteral("%1 has %2 MX records (limit %3)")
                                     .arg(target)
                                     .arg(a.mx.size())
                                     .arg(kMxLimit));
        }
        if (hosts.isEmpty())
            return mechanismDone(f, index, Match::No);
        // Ask for every exchange at once; decide in preference order as if asked in turn.
        struct Pending {
            QList<std::optional<dns::Answer>> answers;
            int left = 0;
        };
        auto p = std::make_shared<Pending>();
        p->answers.resize(hosts.size());
        p->left = int(hosts.size());
        for (qsizetype i = 0; i < hosts.size(); ++i) {
            ask(hosts[i], addressType(), [this, f, index, p, i, hosts](const dns::Answer &ha) {
                p->answers[i] = ha;
                if (--p->left > 0)
                    return;
                const SpfMechanism &m = f->record.mechanisms[index];
                for (qsizetype k = 0; k < p->answers.size(); ++k) {
                    const dns::Answer &x = *p->answers[k];
                    if (dns::isTemporary(x.status))
                        return mechanismDone(f, index, Match::Temp, dnsProblem(x, hosts[k]));
                    if (x.ok() && addressMatches(x.addresses, m.cidr4, m.cidr6))
                        return mechanismDone(f, index, Match::Yes);
                }
                mechanismDone(f, index, Match::No);
            });
        }
    });
}

void SpfSession::matchPtr(const FramePtr &f, int index, const QString &target)
{
    ask(QString(), dns::RecordType::PTR, [this, f, index, target](const dns::Answer &a) {
        if (!a.ok()) { // RFC 7208 5.5: a DNS error means no match
            if (dns::isPermanent(a.status) && !countVoid())
                return mechanismDone(f, index, Match::Perm,
                                     QStringLiteral("more than %1 void lookups").arg(kVoidLimit));
            return mechanismDone(f, index, Match::No);
        }
        // Only names equal to or under the target can match: validate those.
        QStringList candidates;
        const QString suffix = QLatin1Char('.') + target;
        for (qsizetype i = 0; i < a.names.size() && i < kPtrLimit; ++i) {
            const QString &n = a.names[i].name;
            if (n.compare(target, Qt::CaseInsensitive) == 0
                || n.endsWith(suffix, Qt::CaseInsensitive))
                candidates.append(n);
        }
        if (candidates.isEmpty())
            return mechanismDone(f, index, Match::No);
        auto left = std::make_shared<int>(int(candidates.size()));
        auto found = std::make_shared<bool>(false);
        for (const QString &name : std::as_const(candidates)) {
            ask(name, addressType(), [this, f, index, left, found](const dns::Answer &x) {
                if (x.ok() && addressMatches(x.addresses, 32, 128))
                    *found = true;
                if (--*left == 0) // errors skip the name (RFC 7208 5.5)
                    mechanismDone(f, index, *found ? Match::Yes : Match::No);
            });
        }
    });
}

void SpfSession::matchExists(const FramePtr &f, int index, const QString &target)
{
    ask(target, dns::RecordType::A, [this, f, index, target](const dns::Answer &a) {
        if (dns::isTemporary(a.status))
            return mechanismDone(f, index, Match::Temp, dnsProblem(a, target));
        if (a.ok())
            return mechanismDone(f, index, Match::Yes);
        if (!countVoid())
            return mechanismDone(f, index, Match::Perm,
                                 QStringLiteral("more than %1 void lookups").arg(kVoidLimit));
        mechanismDone(f, index, Match::No);
    });
}

void SpfSession::matchInclude(const FramePtr &f, int index, const QString &target)
{
    // RFC 7208 5.2: the included record's exp= is never used.
    checkHost(target, false, [this, f, index, target](const HostResult &inner) {
        switch (inner.result) {
        case SpfResult::Pass:
            return mechanismDone(f, index, Match::Yes);
        case SpfResult::Fail:
        case SpfResult::SoftFail:
        case SpfResult::Neutral:
            return mechanismDone(f, index, Match::No);
        case SpfResult::TempError:
            return mechanismDone(f, index, Match::Temp,
                                 QStringLiteral("include:%1: %2").arg(target, inner.problem));
        case SpfResult::PermError:
            return mechanismDone(f, index, Match::Perm,
                                 QStringLiteral("include:%1: %2").arg(target, inner.problem));
        case SpfResult::None:
            return mechanismDone(f, index, Match::Perm,
                                 QStringLiteral("include:%1: %2").arg(target, inner.problem));
        }
    });
}

void SpfSession::withValidatedNames(bool needed, std::function<void()> then)
{
    if (!needed || m_validatedNames) {
        then();
        return;
    }
    m_validationWaiters.append(std::move(then));
    if (m_validating)
        return;
    m_validating = true;
    const auto done = [this](QStringList names) {
        m_validatedNames = names;
        m_validating = false;
        const QList<std::function<void()>> waiters = std::exchange(m_validationWaiters, {});
        for (const auto &w : waiters) {
            if (!m_done)
                w();
        }
    };
    ask(QString(), dns::RecordType::PTR, [this, done](const dns::Answer &a) {
        if (!a.ok() || a.names.isEmpty())
            return done({});
        const QList<dns::NameRecord> names = a.names.mid(0, kPtrLimit);
        auto results = std::make_shared<QList<bool>>(names.size(), false);
        auto left = std::make_shared<int>(int(names.size()));
        for (qsizetype i = 0; i < names.size(); ++i) {
            ask(names[i].name, addressType(), [this, done, names, results, left, i](const dns::Answer &x) {
                (*results)[i] = x.ok() && addressMatches(x.addresses, 32, 128);
                if (--*left > 0)
                    return;
                QStringList valid;
                for (qsizetype k = 0; k < names.size(); ++k) {
                    if ((*results)[k])
                        valid.append(names[k].name);
                }
                done(valid);
            });
        }
    });
}

} // namespace rd::mailauth
