#pragma once
// Content rules (config::ContentRule, policyconfig.h) applied to the
// envelope (MAIL FROM / RCPT TO addresses) and to a received message
// (headers, decoded text, attachment names from a real MIME parse, size).
// The first matching enabled rule in list order wins; an Accept rule that
// matches stops the evaluation (an exception). Rules are compiled once in
// setRules(); the check functions are const, pure and safe to call from any
// thread at the same time (setRules() must not run concurrently with them).

#include "config/policyconfig.h"

#include <QByteArray>
#include <QList>
#include <QRegularExpression>
#include <QString>
#include <QStringList>

namespace rd::policy {

struct ContentVerdict {
    bool matched = false;   // false: no rule matched; go on as usual
    config::RuleAction action = config::RuleAction::Accept;
    int ruleIndex = -1;     // the rule's position in the list given to setRules()
    QString ruleName;
    // AddHeader: the rule's "Name: value" line ending in CRLF, ready to put
    // on top of the message (CR/LF inside the argument removed); else empty.
    QByteArray headerLine;
    // One printable line for the reply and the log: what matched, e.g.
    // `content rule "no-exe": attachment "invoice.pdf.exe" has extension exe`.
    QString reason;
    // Message stage: the MIME parse found defects / stopped at a limit
    // (some parts may not have been looked at). For logs; not a verdict.
    int mimeDefects = 0;
    bool mimeIncomplete = false;
};

class ContentFilter
{
public:
    // Compiles `rules` (regular expressions case-insensitive, address,
    // domain and extension lists split and normalized). Disabled rules are
    // kept for numbering but never match; a rule that cannot be used (a
    // regex that does not compile, a size that is not a number, a target and
    // match that do not fit) never matches and is described in errors().
    void setRules(const QList<config::ContentRule> &rules);

    // The rules last given to setRules().
    const QList<config::ContentRule> &rules() const { return m_rules; }

    // Why some rules can never match ("rule 3 \"x\": ..."); empty normally.
    QStringList errors() const { return m_errors; }

    // True if an enabled rule looks at the message (Header, Body, Attachment
    // or Size): without one, check() always answers "no match" and the
    // caller need not read the message at all.
    bool needsMessage() const { return m_needsMessage; }

    // The first matching enabled Sender rule for the envelope sender (MAIL
    // FROM address without angle brackets; "" for the null sender, which
    // only a Regex rule can match). Address and Domain lists compare case-
    // insensitively; a domain matches itself and its subdomains.
    ContentVerdict checkSender(const QString &address) const;

    // The same for one recipient (RCPT TO address) and the Recipient rules.
    ContentVerdict checkRecipient(const QString &address) const;

    // The message stage: `message` is the whole message as received (header
    // section, empty line, body; CRLF). Header rules match the RFC 2047
    // decoded values of every top-level field they name; Body rules the
    // decoded text (transfer encoding and charset) of every text/* part;
    // Attachment rules every file name of every part, nested multiparts and
    // attached messages included (also attached messages in base64); Size
    // rules message.size(). Rules at index >= `stopAt` are not evaluated
    // (pass an envelope-stage Accept verdict's ruleIndex; -1: all rules).
    // The MIME parse is only done when a Body or Attachment rule needs it.
    ContentVerdict check(const QByteArray &message, int stopAt = -1) const;

private:
    struct Compiled {
        int index = 0;
        bool usable = false;
        QRegularExpression regex;
        QStringList items;      // Address, Domain, Extension lists (normalized)
        qint64 size = 0;        // Size
        QByteArray headerLine;  // AddHeader
    };
    ContentVerdict checkEnvelope(config::RuleTarget target, const QString &address) const;
    ContentVerdict verdictFor(const Compiled &c, const QString &what) const;

    QList<config::ContentRule> m_rules;
    QList<Compiled> m_compiled; // parallel to m_rules
    QStringList m_errors;
    bool m_needsMessage = false;
};

} // namespace rd::policy
