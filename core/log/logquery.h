#pragma once
// Pure translation of a LogFilter into SQL pieces for log.db (no I/O).
// LogReader picks a plan from these pieces (which index or the full-text
// index drives the query); tests call these functions directly.

#include "log/logtypes.h"

#include <QList>
#include <QString>
#include <QVariantList>

namespace rd::log {

// FTS5 expression for words a user typed: each whitespace-separated word is
// quoted ('"' doubled inside), so operators (AND, OR, NOT, NEAR, ^, :, *, ( ))
// are plain text; several words must all occur; a lone word is a prefix query.
// Words without a letter or digit are dropped (they hold no token). Returns an
// empty string when nothing is left.
QString ftsWordsQuery(const QString &input);

// FTS5 expression matching `input` as a phrase in one column (its last token
// as a prefix when `prefix`); empty when the input holds no token.
QString ftsColumnPhrase(const QString &column, const QString &input, bool prefix);

// The recipient-style FTS5 prefilter for text that starts at a word start:
// the tokens of `input` that are complete (followed by a separator) as one
// phrase in `column`; when only one partial token exists, that token as a
// prefix (*prefix set). The caller confirms the exact text with LIKE. Empty
// when the input holds no token.
QString ftsWordStartQuery(const QString &column, const QString &input, bool *prefix);

// FTS5 parts ANDed ("(a) AND (b)"); one part as is; none: "".
QString joinFts(const QStringList &parts);

// The client-IP filter as SQL over client_ip: exact address, IPv4 CIDR (any
// length) or a text prefix ending in '.' or ':'. `sql` uses the placeholder
// column name "%1" (so a caller can write "+client_ip" to keep an index out).
struct IpCondition {
    QString sql;
    QVariantList binds;
};
// Returns false and sets *error for input that is none of the forms above.
bool ipCondition(const QString &input, IpCondition *out, QString *error);

// LIKE pattern text with %, _ and \ escaped (use with ESCAPE '\').
QString likeEscaped(const QString &text);

// One condition that an index can drive (the reader probes how many rows each
// would visit and lets only the most selective one use its index).
struct IndexCandidate {
    QString column;           // events column with an index (client_ip, user, sender, kind, session_id)
    QString sql;              // condition with "%1" for the column
    QVariantList binds;
};

// A filter split into its parts. All conditions are ANDed.
struct LogQueryParts {
    QString error;                   // non-empty: the filter is invalid (nothing is queried)
    QList<IndexCandidate> indexed;   // indexable conditions
    QString conditions;              // other conditions over events.* columns, each " AND (...)"
    QVariantList binds;              // for `conditions`
    QString timeConditions;          // " AND ts >= ? AND ts <= ?" parts (usable with every index)
    QVariantList timeBinds;
    QString fts;                     // FTS5 MATCH expression, empty = none
    bool ftsPrefix = false;          // `fts` has a prefix term (costly to test row by row)
    QStringList ftsParts;            // the parts of `fts` (joinFts(ftsParts) == fts)
    int lonePrefixPart = -1;         // index in ftsParts of a lone-word prefix search, or -1
    QString lonePrefixToken;         // that word, lower-case ASCII letters/digits
};

// Splits and validates a filter. Pure.
LogQueryParts buildLogQuery(const LogFilter &filter);

// The SQL of an indexed condition; `useIndex` false writes "+column" so that
// SQLite does not drive the query by that column's index.
QString indexedSql(const IndexCandidate &c, bool useIndex);

} // namespace rd::log
