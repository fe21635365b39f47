#pragma once
// The optional `QString *error` out-parameter used by parsers and stores.

#include <QString>

namespace rd::util {

// Stores `text` in *error when the caller asked for it.
inline void setError(QString *error, const QString &text)
{
    if (error)
        *error = text;
}

// setError, then false: `return fail(error, tr("..."));` in a bool function.
inline bool fail(QString *error, const QString &text)
{
    setError(error, text);
    return false;
}

} // namespace rd::util
