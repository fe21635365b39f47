#pragma once
// rd::mailauth::SpfSession: one check_host() evaluation (RFC 7208 4-6) in
// progress, driven by resolver callbacks. Internal to SpfEvaluator (spf.h).
//
// Thread: the resolver's. Every DNS answer arrives from the event loop; the
// session is the resolver context of all its lookups, so destroying it drops
// them. The `finished` callback is called once, queued, after finish().

#include "mailauth/spf.h"

#include <QTimer>

#include <functional>
#include <memory>
#include <optional>
#include <set>

namespace rd::mailauth {

// spflimits: in mailauth/spfrecord.h (the record check of the DNS checks panel uses them too).

class SpfSession : public QObject {
    Q_OBJECT
public:
    SpfSession(dns::Resolver *resolver, const SpfRequest &request, int timeLimitMs,
               std::function<void(const SpfOutcome &)> finished);
    ~SpfSession() override; // cancels the lookups still outstanding

    // Starts the evaluation (the result always comes later, queued).
    void start();
    // Stops without a callback: outstanding lookups are cancelled.
    void abort();

private:
    enum class Match { No, Yes, Temp, Perm };
    // check_host() of one domain.
    struct HostResult {
        SpfResult result = SpfResult::None;
        QString mechanism;
        QString explanation;
        QString problem;
        QString record;
    };
    using HostCont = std::function<void(const HostResult &)>;
    // One record being evaluated.
    struct Frame {
        QString domain;
        QString recordText;
        SpfRecord record;
        bool wantExplanation = false;
        HostCont cont;
    };
    using FramePtr = std::shared_ptr<Frame>;

    void finish(SpfOutcome outcome);
    // One lookup with this session as context; PTR with an empty name asks for the client's PTR.
    void ask(const QString &name, dns::RecordType type, std::function<void(const dns::Answer &)> cb);

    void checkHost(const QString &domain, bool wantExplanation, HostCont cont);
    void evaluate(const FramePtr &f, int index);
    void mechanismDone(const FramePtr &f, int index, Match match, const QString &problem = {});
    void matched(const FramePtr &f, int index);
    void noMatch(const FramePtr &f);
    void explain(const FramePtr &f, HostResult result);

    void matchA(const FramePtr &f, int index, const QString &target);
    void matchMx(const FramePtr &f, int index, const QString &target);
    void matchPtr(const FramePtr &f, int index, const QString &target);
    void matchExists(const FramePtr &f, int index, const QString &target);
    void matchInclude(const FramePtr &f, int index, const QString &target);

    // Runs `then` once %{p} can be expanded (looks the validated names up once).
    void withValidatedNames(bool needed, std::function<void()> then);
    SpfMacroContext macroContext(const QString &domain) const;
    // Counts a DNS-querying term; false (limit passed) means PermError.
    bool countLookup();
    // Counts a void lookup; false (limit passed) means PermError.
    bool countVoid();
    bool addressMatches(const QList<dns::AddressRecord> &records, int cidr4, int cidr6) const;
    // 4 or 16 bytes of an address; IPv4-mapped IPv6 as IPv4. False for a null address.
    static bool addressBytes(const QHostAddress &in, bool *v6, std::array<quint8, 16> *out);
    static QString dnsProblem(const dns::Answer &a, const QString &name);
    dns::RecordType addressType() const { return m_v6 ? dns::RecordType::AAAA : dns::RecordType::A; }

    QPointer<dns::Resolver> m_resolver;
    SpfRequest m_request;
    std::function<void(const SpfOutcome &)> m_finished;
    SpfOutcome m_outcome;
    QTimer m_timer;
    int m_timeLimitMs = 20000;
    bool m_done = false;
    std::set<dns::RequestId> m_outstanding;

    // The client and the macro values fixed for the whole check.
    bool m_v6 = false;
    std::array<quint8, 16> m_ip{};
    SpfMacroContext m_macros;
    int m_lookups = 0;
    int m_voids = 0;

    // %{p}: the PTR names of the client whose addresses include it.
    std::optional<QStringList> m_validatedNames;
    bool m_validating = false;
    QList<std::function<void()>> m_validationWaiters;
};

} // namespace rd::mailauth
