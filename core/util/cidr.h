#pragma once
// IPv4/IPv6 addresses and CIDR ranges: pure parsing and matching.

#include <QHostAddress>
#include <QList>
#include <QString>
#include <QStringList>

namespace rd::util {

struct CidrRange {
    QHostAddress network;
    int prefix = -1;

    bool contains(const QHostAddress &address) const;
    QString toString() const; // canonical "a.b.c.d/n" or "x::/n"
};

// Parses "1.2.3.4", "1.2.3.0/24", "::1", "2001:db8::/32". Host bits set below
// the prefix (e.g. "10.0.0.1/8") are an error, as is a prefix out of range.
// On error returns false and sets *error to a sentence naming the problem.
bool parseCidr(const QString &text, CidrRange *out, QString *error);

// A client's relay permission: allowed if some allow range matches and no
// deny range matches (deny wins). IPv4-mapped IPv6 (::ffff:a.b.c.d) is
// matched as IPv4.
class CidrList {
public:
    // Parses every entry; on the first invalid entry returns false with *error
    // "entry 3 (\"10.0.0.0/33\"): prefix length 33 is out of range (0-32)".
    bool parse(const QStringList &entries, QString *error);
    bool matches(const QHostAddress &address) const;
    bool isEmpty() const { return m_ranges.isEmpty(); }
    const QList<CidrRange> &ranges() const { return m_ranges; }

private:
    QList<CidrRange> m_ranges;
};

// Unmaps ::ffff:a.b.c.d to a.b.c.d; other addresses unchanged.
QHostAddress normalizedAddress(const QHostAddress &address);

} // namespace rd::util
