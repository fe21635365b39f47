#pragma once
// RFC 5322 address lists (To, Cc, Bcc, From, Sender, X-Receiver values) read
// into envelope addresses. Pure; any thread.

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

namespace rd::pickup {

struct Mailbox {
    QString displayName;  // RFC 2047 decoded; empty if none
    QByteArray address;   // addr-spec as the envelope needs it: local@domain, CFWS removed,
                          // a quoted local part kept quoted only when it must be
};

struct AddressListResult {
    QList<Mailbox> mailboxes; // in order; group members included, empty groups add nothing
    QString error;            // empty on success; else one sentence naming the defect
    bool ok() const { return error.isEmpty(); }
};

// Parses an address-list field value (unfolded or folded): mailboxes
// ("a@b", "Name <a@b>", "\"Doe, John\" <a@b>", "a@b (comment)"), groups
// ("team: a@b, c@d;", "undisclosed-recipients:;"), nested comments, quoted
// strings, obsolete routes (<@r:a@b>) and empty list elements. An address
// without a domain, unbalanced quotes, comments or angle brackets, or text
// that is no address give an error naming the element. Linear time.
AddressListResult parseAddressList(QByteArrayView value);

} // namespace rd::pickup
