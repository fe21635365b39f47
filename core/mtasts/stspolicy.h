#pragma once
// An MTA-STS policy file (RFC 8461 section 3.2) and the MX decision of
// section 4.1/5: which MX hosts a policy allows and whether TLS with a valid
// certificate is required. Pure values and functions, any thread.

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <optional>

namespace rd::mtasts {

enum class Mode { None, Testing, Enforce };

// "none", "testing", "enforce".
QString modeName(Mode mode);
std::optional<Mode> modeFromName(const QString &name);

inline constexpr qint64 kMaxMaxAge = 31557600; // 3.2: one year, the largest max_age honoured

struct Policy {
    Mode mode = Mode::None;
    QStringList mx;    // patterns as given, lower-cased, no trailing dot: "mx.example.com", "*.example.net"
    qint64 maxAge = 0; // seconds (clamped to kMaxMaxAge)
    QByteArray raw;    // the policy file as fetched (for the cache and TLS-RPT policy-string)

    // TLS-RPT "policy-string" (RFC 8460 4.4): the file's lines, without line ends.
    QStringList policyStrings() const;
};

// Parses a policy body. Strict per 3.2: "key: value" lines ended by LF or
// CRLF, version STSv1 first-class required, mode and max_age exactly once,
// at least one mx unless mode is none, unknown keys ignored. nullopt with
// *error on any violation.
std::optional<Policy> parsePolicy(const QByteArray &body, QString *error = nullptr);

// 4.1: does `host` (an MX name, trailing dot and case ignored) match
// `pattern`? "*.example.net" matches exactly one extra left-most label.
bool mxPatternMatches(const QString &pattern, const QString &host);
// Whether any of the policy's mx patterns matches `host`.
bool policyAllowsMx(const Policy &policy, const QString &host);

// What delivery to one MX must do under a domain's policy (section 5).
struct MxDecision {
    bool useMx = true;           // false: skip this MX (enforce and no mx match)
    bool requireValidTls = false; // STARTTLS with a certificate chaining to a trusted CA and naming the MX
    bool reportOnly = false;     // testing: check and log failures, deliver anyway
    QString reason;              // human text for the log ("MX mx9.example.net not in MTA-STS policy")
};
// `policy` null: no MTA-STS (opportunistic as before).
MxDecision decideMx(const Policy *policy, const QString &domain, const QString &mxHost);

} // namespace rd::mtasts
