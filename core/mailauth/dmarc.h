#pragma once
// DMARC (RFC 7489) for received mail: identifier alignment and the
// asynchronous evaluator that finds the policy record in DNS and decides
// the result and the disposition. The record parser, the From-domain
// extraction and the Public Suffix List are in the headers included below.
//
// The evaluator takes SPF and DKIM results as plain strings (RFC 8601
// result names) so it does not depend on the SPF and DKIM modules.

#include "dns/resolver.h"
#include "mailauth/authresults.h"
#include "mailauth/dmarcfrom.h"
#include "mailauth/dmarcrecord.h"
#include "mailauth/publicsuffix.h"

#include <QObject>
#include <QPointer>

#include <functional>
#include <memory>

namespace rd::mailauth {

// RFC 7489 3.1: strict: the names are equal (case-insensitive, IDNA
// spellings equal); relaxed: their organizational domains are equal.
// False if either is empty or not a valid domain name.
bool dmarcAligned(const QString &fromDomain, const QString &authDomain, bool strict, const PublicSuffixList &psl);

struct DmarcSpfInput {
    QString result; // RFC 8601 name: "pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"
    QString domain; // the RFC5321.MailFrom domain that was checked (the HELO domain for a null sender)
};

struct DmarcDkimInput {
    QString result; // RFC 8601 name of one signature's result ("pass", "fail", ...)
    QString domain; // its d= domain
};

struct DmarcOutcome {
    QString result;       // "pass", "fail", "none", "temperror", "permerror" (RFC 8601 dmarc results)
    QString policy;       // the policy that applies: "none", "quarantine", "reject" (sp= for subdomains); "" if no record applies
    QString disposition;  // what a receiver does after pct sampling: "none", "quarantine", "reject"
    QString headerFrom;   // RFC5322.From domain (lower case)
    QString recordDomain; // where the record was found: the From domain or its organizational domain ("" if none)
    DmarcRecord record;
    bool spfAligned = false, dkimAligned = false;
    bool sampledOut = false; // failed, but pct sampling chose the next milder disposition (RFC 7489 6.6.4)
    QString reason;          // plain English
};

// The "dmarc" resinfo for an Authentication-Results field: result,
// header.from, and the reason for anything but pass.
AuthResultsEntry dmarcAuthResultsEntry(const DmarcOutcome &outcome);

class DmarcEvaluator : public QObject {
    Q_OBJECT
public:
    // `resolver` (not owned) and `psl` must outlive the evaluator. Lives in
    // the resolver's thread; call it from there only.
    DmarcEvaluator(dns::Resolver *resolver, const PublicSuffixList &psl, QObject *parent = nullptr);
    ~DmarcEvaluator() override;

    // Finds the record (_dmarc.<from>, then _dmarc.<organizational domain>),
    // checks alignment, picks the policy and the disposition. `done` is
    // called once, later from the event loop (never synchronously), unless
    // `context` (may be null) or the evaluator is destroyed first. DNS
    // temporary failures give "temperror"; no record "none"; more than one
    // DMARC record at a name, or a record that does not apply, "permerror"
    // with no policy (RFC 7489 6.6.3: no DMARC processing); an empty or
    // invalid From domain "permerror".
    void evaluate(const QString &headerFromDomain, const DmarcSpfInput &spf, const QList<DmarcDkimInput> &dkim,
                  QObject *context, std::function<void(const DmarcOutcome &)> done);

    // The pct sampling draw (RFC 7489 6.6.4): a number 0..99; the policy is
    // applied when it is below pct. Default: QRandomGenerator::global().
    // Tests inject a fixed source.
    void setRandomSource(std::function<int()> percentRoll);

private:
    struct Job;

    void lookupRecord(const std::shared_ptr<Job> &job, const QString &domain, bool atOrgDomain);
    void onAnswer(const std::shared_ptr<Job> &job, const QString &domain, bool atOrgDomain, const dns::Answer &answer);
    void decide(const std::shared_ptr<Job> &job, const QString &domain, bool atOrgDomain, const DmarcRecord &record);
    void finish(const std::shared_ptr<Job> &job, const DmarcOutcome &outcome);
    void finishLater(const std::shared_ptr<Job> &job, const DmarcOutcome &outcome);

    QPointer<dns::Resolver> m_resolver;
    const PublicSuffixList &m_psl;
    std::function<int()> m_roll;
};

} // namespace rd::mailauth
