#include "mailauth/spfsession.h"

#include <QDateTime>

namespace rd::mailauth {

using namespace spflimits;

namespace {

SpfResult resultOf(SpfQualifier q)
{
    switch (q) {
    case SpfQualifier::Pass: return SpfResult::Pass;
    case SpfQualifier::Fail: return SpfResult::Fail;
    case SpfQualifier::SoftFail: return SpfResult::SoftFail;
    case SpfQualifier::Neutral: return SpfResult::Neutral;
    }
    return SpfResult::Neutral;
}

// RFC 7208 4.3: a multi-label name, no empty label, labels <= 63, <= 253 in all.
bool isValidCheckDomain(const QString &domain, QString *why)
{
    if (domain.isEmpty()) {
        *why = QStringLiteral("no domain to check");
        return false;
    }
    if (domain.startsWith(QLatin1Char('['))) {
        *why = QStringLiteral("\"%1\" is an address literal, not a domain").arg(domain);
        return false;
    }
    const QStringList labels = domain.split(QLatin1Char('.'));
    const bool ok = domain.toUtf8().size() <= 253 && labels.size() >= 2
        && std::all_of(labels.begin(), labels.end(), [](const QString &l) {
               return !l.isEmpty() && l.toUtf8().size() <= 63;
           });
    if (!ok)
        *why = QStringLiteral("\"%1\" is not a valid multi-label domain name").arg(domain);
    return ok;
}

} // namespace

bool SpfSession::addressBytes(const QHostAddress &in, bool *v6, std::array<quint8, 16> *out)
{
    bool isV4 = false;
    const quint32 v4 = in.toIPv4Address(&isV4); // also unmaps ::ffff:a.b.c.d
    out->fill(0);
    if (isV4) {
        *v6 = false;
        (*out)[0] = quint8(v4 >> 24);
        (*out)[1] = quint8(v4 >> 16);
        (*out)[2] = quint8(v4 >> 8);
        (*out)[3] = quint8(v4);
        return true;
    }
    if (in.protocol() != QAbstractSocket::IPv6Protocol)
        return false;
    const Q_IPV6ADDR a = in.toIPv6Address();
    *v6 = true;
    for (int i = 0; i < 16; ++i)
        (*out)[i] = a[i];
    return true;
}

QString SpfSession::dnsProblem(const dns::Answer &a, const QString &name)
{
    return QStringLiteral("DNS %1 lookup of %2 failed: %3")
        .arg(dns::recordTypeName(a.type), name, a.error.isEmpty() ? dns::statusName(a.status)
                                                                 : a.error);
}

SpfSession::SpfSession(dns::Resolver *resolver, const SpfRequest &request, int timeLimitMs,
                       std::function<void(const SpfOutcome &)> finished)
    : m_resolver(resolver)
    , m_request(request)
    , m_finished(std::move(finished))
    , m_timeLimitMs(timeLimitMs)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] {
        SpfOutcome o = m_outcome;
        o.result = SpfResult::TempError;
        o.problem = QStringLiteral("SPF evaluation took longer than %1 ms").arg(m_timeLimitMs);
        finish(o);
    });
}

SpfSession::~SpfSession()
{
    abort();
}

void SpfSession::abort()
{
    m_done = true;
    m_timer.stop();
    const std::set<dns::RequestId> ids = std::exchange(m_outstanding, {});
    if (m_resolver) {
        for (dns::RequestId id : ids)
            m_resolver->cancel(id);
    }
}

void SpfSession::finish(SpfOutcome outcome)
{
    if (m_done)
        return;
    abort();
    outcome.dnsLookups = m_lookups;
    outcome.voidLookups = m_voids;
    QMetaObject::invokeMethod(
        this, [this, outcome] { m_finished(outcome); }, Qt::QueuedConnection);
}

void SpfSession::ask(const QString &name, dns::RecordType type,
                     std::function<void(const dns::Answer &)> cb)
{
    if (m_done)
        return;
    if (!m_resolver) {
        SpfOutcome o = m_outcome;
        o.result = SpfResult::TempError;
        o.problem = QStringLiteral("no DNS resolver");
        finish(o);
        return;
    }
    auto idHolder = std::make_shared<dns::RequestId>(0);
    const auto wrapped = [this, idHolder, cb = std::move(cb)](const dns::Answer &a) {
        m_outstanding.erase(*idHolder);
        if (!m_done)
            cb(a);
    };
    *idHolder = type == dns::RecordType::PTR && name.isEmpty()
        ? m_resolver->lookupPtr(m_request.ip, this, wrapped)
        : m_resolver->lookup(name, type, this, wrapped);
    m_outstanding.insert(*idHolder);
}

void SpfSession::start()
{
    const QString senderIn = m_request.sender.trimmed();
    QString local;
    QString senderDomain;
    if (senderIn.isEmpty()) {
        senderDomain = m_request.helo.trimmed();
    } else {
        const qsizetype at = senderIn.lastIndexOf(QLatin1Char('@'));
        local = at < 0 ? QString() : senderIn.left(at);
        senderDomain = at < 0 ? senderIn : senderIn.mid(at + 1);
    }
    if (local.isEmpty())
        local = QStringLiteral("postmaster"); // RFC 7208 4.3
    if (senderDomain.endsWith(QLatin1Char('.')))
        senderDomain.chop(1);
    m_macros.sender = local + QLatin1Char('@') + senderDomain;
    m_macros.localPart = local;
    m_macros.senderDomain = senderDomain;
    m_macros.helo = m_request.helo.trimmed();
    m_macros.receiver = m_request.receiver;
    m_macros.timestamp = QDateTime::currentSecsSinceEpoch();

    QString domain = m_request.domain.trimmed();
    if (domain.isEmpty())
        domain = senderDomain;
    if (domain.endsWith(QLatin1Char('.')))
        domain.chop(1);
    m_outcome.domain = domain;

    if (!addressBytes(m_request.ip, &m_v6, &m_ip)) {
        SpfOutcome o = m_outcome;
        o.problem = QStringLiteral("no valid client IP address");
        finish(o);
        return;
    }
    m_macros.ipv6 = m_v6;
    if (m_v6) {
        QStringList nibbles;
        for (quint8 b : m_ip) {
            nibbles << QString::number(b >> 4, 16).toUpper() << QString::number(b & 15, 16).toUpper();
        }
        m_macros.ip = nibbles.join(QLatin1Char('.'));
        m_macros.clientIp = QHostAddress(m_ip.data()).toString();
    } else {
        m_macros.ip = QStringLiteral("%1.%2.%3.%4").arg(m_ip[0]).arg(m_ip[1]).arg(m_ip[2]).arg(m_ip[3]);
        m_macros.clientIp = m_macros.ip;
    }

    QString why;
    if (!isValidCheckDomain(domain, &why)) {
        SpfOutcome o = m_outcome;
        o.problem = why;
        finish(o);
        return;
    }
    m_timer.start(m_timeLimitMs);
    checkHost(domain, true, [this](const HostResult &r) {
        SpfOutcome o = m_outcome;
        o.result = r.result;
        o.mechanism = r.mechanism;
        o.explanation = r.result == SpfResult::Fail ? r.explanation : QString();
        o.problem = r.problem;
        o.record = r.record;
        finish(o);
    });
}

void SpfSession::checkHost(const QString &domain, bool wantExplanation, HostCont cont)
{
    ask(domain, dns::RecordType::TXT, [=, this](const dns::Answer &a) {
        HostResult r;
        if (dns::isTemporary(a.status)) {
            r.result = SpfResult::TempError;
            r.problem = dnsProblem(a, domain);
            cont(r);
            return;
        }
        QList<QByteArray> spf;
        for (const dns::TxtRecord &t : std::as_const(a.txt)) {
            const QByteArray text = t.text();
            if (isSpfRecordText(QByteArrayView(text)))
                spf.append(text);
        }
        if (spf.isEmpty()) {
            r.result = SpfResult::None;
            r.problem = a.status == dns::Status::NxDomain
                ? QStringLiteral("%1 does not exist").arg(domain)
                : QStringLiteral("no SPF record at %1").arg(domain);
            cont(r);
            return;
        }
        if (spf.size() > 1) {
            r.result = SpfResult::PermError;
            r.problem = QStringLiteral("%1 SPF records at %2 (only one is allowed)")
                            .arg(spf.size())
                            .arg(domain);
            cont(r);
            return;
        }
        r.record = QString::fromLatin1(spf.first()); // non-ASCII stays non-ASCII: an error
        SpfParseResult parsed = parseSpfRecord(r.record);
        if (!parsed.ok()) {
            r.result = SpfResult::PermError;
            r.problem = QStringLiteral("SPF record of %1: %2").arg(domain, parsed.error);
            cont(r);
            return;
        }
        auto f = std::make_shared<Frame>();
        f->domain = domain;
        f->recordText = r.record;
        f->record = std::move(*parsed.record);
        f->wantExplanation = wantExplanation;
        f->cont = cont;
        evaluate(f, 0);
    });
}

void SpfSession::evaluate(const FramePtr &f, int index)
{
    const QList<SpfMechanism> &mechs = f->record.mechanisms;
    for (; index < mechs.size(); ++index) {
        if (m_done)
            return;
        const SpfMechanism &m = mechs[index];
        switch (m.kind) {
        case SpfMechanismKind::All:
            matched(f, index);
            return;
        case SpfMechanismKind::Ip4:
        case SpfMechanismKind::Ip6:
            if (m.network.contains(m_v6, m_ip.data())) {
                matched(f, index);
                return;
            }
            continue;
        default:
            break;
        }
        if (!countLookup()) {
            mechanismDone(f, index, Match::Perm,
                          QStringLiteral("more than %1 DNS-querying terms").arg(kLookupLimit));
            return;
        }
        const bool needsP = m.domain && m.domain->usesP;
        withValidatedNames(needsP, [this, f, index] {
            const SpfMechanism &m = f->record.mechanisms[index];
            const QString target = m.domain ? expandSpfDomain(*m.domain, macroContext(f->domain))
                                            : f->domain;
            switch (m.kind) {
            case SpfMechanismKind::A: matchA(f, index, target); break;
            case SpfMechanismKind::Mx: matchMx(f, index, target); break;
            case SpfMechanismKind::Ptr: matchPtr(f, index, target); break;
            case SpfMechanismKind::Exists: matchExists(f, index, target); break;
            case SpfMechanismKind::Include: matchInclude(f, index, target); break;
            default: break;
            }
        });
        return;
    }
    noMatch(f);
}

void SpfSession::mechanismDone(const FramePtr &f, int index, Match match, const QString &problem)
{
    if (m_done)
        return;
    switch (match) {
    case Match::No:
        evaluate(f, index + 1);
        return;
    case Match::Yes:
        matched(f, index);
        return;
    case Match::Temp:
    case Match::Perm: {
        HostResult r;
        r.result = match == Match::Temp ? SpfResult::TempError : SpfResult::PermError;
        r.mechanism = f->record.mechanisms[index].text;
        r.problem = problem;
        r.record = f->recordText;
        f->cont(r);
        return;
    }
    }
}

void SpfSession::matched(const FramePtr &f, int index)
{
    const SpfMechanism &m = f->record.mechanisms[index];
    HostResult r;
    r.result = resultOf(m.qualifier);
    r.mechanism = m.text;
    r.record = f->recordText;
    if (r.result == SpfResult::Fail && f->wantExplanation && f->record.exp)
        explain(f, r);
    else
        f->cont(r);
}

void SpfSession::noMatch(const FramePtr &f)
{
    HostResult r;
    r.record = f->recordText;
    if (!f->record.redirect) { // RFC 7208 4.7: the default result
        r.result = SpfResult::Neutral;
        r.mechanism = QStringLiteral("default");
        f->cont(r);
        return;
    }
    if (!countLookup()) {
        r.result = SpfResult::PermError;
        r.mechanism = QStringLiteral("redirect");
        r.problem = QStringLiteral("more than %1 DNS-querying terms").arg(kLookupLimit);
        f->cont(r);
        return;
    }
    withValidatedNames(f->record.redirect->usesP, [this, f] {
        const QString target = expandSpfDomain(*f->record.redirect, macroContext(f->domain));
        // RFC 7208 6.1: the redirect target's result is the result; its exp= (not ours) applies.
        checkHost(target, f->wantExplanation, [f, target](const HostResult &inner) {
            HostResult r = inner;
            r.record = f->recordText;
            r.mechanism = QStringLiteral("redirect=%1").arg(target);
            if (!inner.mechanism.isEmpty())
                r.mechanism += QStringLiteral(" (%1)").arg(inner.mechanism);
            if (inner.result == SpfResult::None) {
                r.result = SpfResult::PermError;
                r.problem = QStringLiteral("redirect target: %1").arg(inner.problem);
            }
            f->cont(r);
        });
    });
}

void SpfSession::explain(const FramePtr &f, HostResult result)
{
    // RFC 7208 6.2: any failure here just means no explanation.
    withValidatedNames(f->record.exp->usesP, [this, f, result] {
        const QString name = expandSpfDomain(*f->record.exp, macroContext(f->domain));
        ask(name, dns::RecordType::TXT, [this, f, result](const dns::Answer &a) {
            HostResult r = result;
            if (!a.ok() || a.txt.size() != 1) {
                f->cont(r);
                return;
            }
            const QByteArray text = a.txt.first().text();
            std::optional<SpfMacroString> m =
                parseSpfMacroString(QString::fromLatin1(text), SpfMacroMode::Explanation);
            if (!m) {
                f->cont(r);
                return;
            }
            withValidatedNames(m->usesP, [this, f, r, m]() mutable {
                r.explanation = expandSpfMacros(*m, macroContext(f->domain));
                f->cont(r);
            });
        });
    });
}

SpfMacroContext SpfSession::macroContext(const QString &domain) const
{
    SpfMacroContext c = m_macros;
    c.domain = domain;
    c.validatedName = QStringLiteral("unknown");
    if (m_validatedNames && !m_validatedNames->isEmpty()) {
        // RFC 7208 7.3: prefer the domain itself, then a name under it, then any.
        const QStringList &v = *m_validatedNames;
        const QString suffix = QLatin1Char('.') + domain;
        const auto exact = std::find_if(v.begin(), v.end(), [&](const QString &n) {
            return n.compare(domain, Qt::CaseInsensitive) == 0;
        });
        const auto under = std::find_if(v.begin(), v.end(), [&](const QString &n) {
            return n.endsWith(suffix, Qt::CaseInsensitive);
        });
        c.validatedName = exact != v.end() ? *exact : under != v.end() ? *under : v.first();
    }
    return c;
}

bool SpfSession::countLookup()
{
    return ++m_lookups <= kLookupLimit;
}

bool SpfSession::countVoid()
{
    return ++m_voids <= kVoidLimit;
}

bool SpfSession::addressMatches(const QList<dns::AddressRecord> &records, int cidr4, int cidr6) const
{
    for (const dns::AddressRecord &r : records) {
        SpfNetwork n;
        if (!addressBytes(r.address, &n.v6, &n.bytes))
            continue;
        n.prefix = n.v6 ? cidr6 : cidr4;
        if (n.contains(m_v6, m_ip.data()))
            return true;
    }
    return false;
}

} // namespace rd::mailauth
