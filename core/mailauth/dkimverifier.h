#pragma once
// DKIM verification (RFC 6376 6, RFC 8301, RFC 8463): every DKIM-Signature
// of a message checked against its key record in DNS, asynchronously
// through rd::dns::Resolver.

#include "dns/resolver.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>

#include <functional>
#include <memory>
#include <unordered_map>

namespace rd::mailauth {

enum class DkimResult { None, Pass, Fail, Neutral, TempError, PermError, Policy };

// RFC 8601 names: "none" "pass" "fail" "neutral" "temperror" "permerror" "policy".
QString dkimResultName(DkimResult r);

struct DkimSignatureResult {
    DkimResult result = DkimResult::None;
    QString domain;    // d=
    QString selector;  // s=
    QString algorithm; // a=
    QString identity;  // i= (as written; "@" + d= when absent)
    // Why it is not a pass: "body hash mismatch", "signature did not verify",
    // "key revoked", "no key for signature", "DNS timeout", "DNS failure",
    // "signature expired", "RSA key shorter than 1024 bits", a syntax error...
    // Empty on pass.
    QString reason;
    QByteArray headerB; // the first characters of b= (8 or more: unique among this message's signatures)
    int keyBits = 0;    // size of the key used (0 if none was found)
    bool testing = false; // the key record says t=y (domain is testing DKIM)
};

using DkimVerifyCallback = std::function<void(const QList<DkimSignatureResult> &)>;

class DkimVerifier : public QObject {
    Q_OBJECT
public:
    // `resolver` is not owned and must live in this object's thread.
    explicit DkimVerifier(dns::Resolver *resolver, QObject *parent = nullptr);
    ~DkimVerifier() override; // pending verifications are dropped (no callback)

    // Verifies every DKIM-Signature of `message` (header, CRLF CRLF, body; CRLF
    // lines, not dot-stuffed), at most maxSignatures() of them (top first);
    // the rest get Policy "not checked: more than N signatures". One call of
    // `done` later from the event loop (never from inside verify()), with one
    // result per signature field in message order; an empty list means no
    // signature (result "none"). If `context` is given and destroyed first,
    // `done` is not called. Thread: the resolver's.
    void verify(const QByteArray &message, QObject *context, DkimVerifyCallback done);

    // Time limit for the key lookups of one verify() call (0: none; default
    // 10 s). Signatures still waiting then are TempError "DNS timeout".
    void setTimeLimitMs(int ms) { m_timeLimitMs = ms; }
    int timeLimitMs() const { return m_timeLimitMs; }
    void setMaxSignatures(int n) { m_maxSignatures = n; }
    int maxSignatures() const { return m_maxSignatures; }
    // Test hook: the clock used for x= (seconds since the epoch; -1: real time).
    void setCurrentTime(qint64 secsSinceEpoch) { m_now = secsSinceEpoch; }

private:
    struct Job;
    struct SignatureState;

    void onKeyAnswer(quint64 jobId, int index, const dns::Answer &answer);
    void onTimeLimit(quint64 jobId);
    void finishJob(quint64 jobId);
    qint64 now() const;

    QPointer<dns::Resolver> m_resolver;
    int m_timeLimitMs = 10000;
    int m_maxSignatures = 5;
    qint64 m_now = -1;
    quint64 m_nextJob = 1;
    std::unordered_map<quint64, std::shared_ptr<Job>> m_jobs;
};

} // namespace rd::mailauth
