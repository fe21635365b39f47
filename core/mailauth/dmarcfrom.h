#pragma once
// The RFC 5322.From domain that DMARC (RFC 7489 3.1, 6.6.1) authenticates.
// Pure parsing; any thread.

#include <QByteArray>
#include <QString>

namespace rd::mailauth {

// The domain of the single author address of a message. `headerBlock` is
// the message's header section as bytes (the body may follow after the
// empty line; it is not read). Folded lines, comments, quoted strings,
// display names (RFC 2047 encoded words included), angle addresses and
// obsolete routes are understood. Exactly one From field holding exactly
// one mailbox is required (RFC 7489 6.6.1); otherwise, or if the address
// has no usable domain (none, or an address literal), the result is empty
// and *error (if given) says why. The domain is returned in lower case
// without a trailing dot; UTF-8 (RFC 6532) domains are returned as Unicode.
QString headerFromDomain(const QByteArray &headerBlock, QString *error);

// The same for the value of one From field (unfolded or not).
QString fromFieldDomain(const QByteArray &fieldValue, QString *error);

} // namespace rd::mailauth
