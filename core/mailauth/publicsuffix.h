#pragma once
// rd::mailauth::PublicSuffixList: the Public Suffix List (publicsuffix.org)
// and the organizational domain of RFC 7489 3.2 that DMARC alignment and
// record discovery use.
//
// The list is loaded from its text form (public_suffix_list.dat): both the
// ICANN and the private sections, normal, wildcard ("*.ck") and exception
// ("!www.ck") rules. Rules and queried names are compared in their IDNA
// ("xn--") form, so Unicode and ACE spellings of a domain give the same
// answer. Matching follows the publicsuffix.org algorithm, including the
// implicit "*" rule for top-level domains the list does not know.
//
// Thread: load() only before sharing; the const methods may be called from
// any thread at once. system() is loaded once, on first use, thread-safely.

#include <QHash>
#include <QString>
#include <QStringList>

namespace rd::mailauth {

class PublicSuffixList {
public:
    // Where system() looks, in order: Debian's file (package publicsuffix),
    // then public_suffix_list.dat beside the executable (the Windows
    // installer ships a copy there; only if a QCoreApplication exists).
    static QStringList defaultPaths();

    // Replaces the rules with those of the file at `path`. On failure (file
    // unreadable, or no rule in it) returns false, sets *error (if given) and
    // keeps the rules loaded before.
    bool load(const QString &path, QString *error);
    // The same from the file's contents (UTF-8 text; tests and fuzzing).
    bool loadFromData(const QByteArray &data, QString *error);

    // The list loaded once from the first readable defaultPaths() entry.
    // If none is readable, isLoaded() is false and loadError() says why; the
    // organizational domain is then the domain itself (see below).
    static const PublicSuffixList &system();

    bool isLoaded() const { return !m_rules.isEmpty(); }
    int ruleCount() const { return int(m_rules.size()); }
    QString loadError() const { return m_loadError; }

    // The public suffix of `domain` (lower case, no trailing dot, in the
    // spelling of the input: Unicode labels stay Unicode, "xn--" stays ACE).
    // Empty if `domain` is not a valid name (empty label, label not
    // convertible to IDNA) or the list is not loaded.
    QString publicSuffix(const QString &domain) const;

    // RFC 7489 3.2: the public suffix plus one more label of `domain`, in the
    // same spelling as publicSuffix(). The domain itself (normalized) when it
    // is a public suffix, when the list is not loaded, or when the domain is
    // not a valid name.
    QString organizationalDomain(const QString &domain) const;

    // `domain` in lower case IDNA form without a trailing dot, for
    // comparing names ("Bücher.Example." -> "xn--bcher-kva.example");
    // empty if it is not a valid name.
    static QString aceForm(const QString &domain);

    // True if `domain` itself is a public suffix (e.g. "co.uk", "github.io").
    bool isPublicSuffix(const QString &domain) const;

private:
    enum RuleFlag : quint8 { Normal = 1, Wildcard = 2, Exception = 4 };

    // Number of trailing labels of `aceLabels` that form the public suffix.
    int suffixLabelCount(const QStringList &aceLabels) const;

    // key: the rule's name in IDNA form without "*." or "!"; value: RuleFlags.
    QHash<QString, quint8> m_rules;
    QString m_loadError;
};

} // namespace rd::mailauth
