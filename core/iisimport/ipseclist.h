#pragma once
// Decodes the IPSECLIST octet string of the IIS SMTP RelayIpList property
// (the "Relay Restrictions" dialog). Microsoft documents only the type, not
// the layout; the layout here is pinned down from public samples (see
// docs/IIS.md): little-endian DWORDs, offsets relative to the blob start with
// bit 31 set; a header of four list offsets (addresses the second list,
// grant, the first, deny; then name lists), each address list a count of
// entries and of addresses, then entries {family, slots = mask + addresses,
// full mask bytes, last mask byte, offset}, at the offset the mask and the
// addresses. Pure; anything that does not add up is an error, never a guess.

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace rd::iisimport {

struct IpSecList {
    QStringList granted;   // CIDRs ("192.0.2.7/32", "10.1.0.0/16") on the grant list
    QStringList denied;    // CIDRs on the deny list
    int grantedNames = 0;  // DNS-name entries (not importable), counted only
    int deniedNames = 0;
    bool empty() const { return granted.isEmpty() && denied.isEmpty() && !grantedNames && !deniedNames; }
};

// Decodes `blob`. False with *error (what did not add up, and where).
bool decodeIpSecList(const QByteArray &blob, IpSecList *out, QString *error);

// The metabase writes binary properties as hexadecimal text; whitespace is
// ignored. False with *error if `text` is not an even run of hex digits.
bool hexToBytes(const QString &text, QByteArray *out, QString *error);

// Builds the blob for the given IPv4 CIDR grant list in the same layout (one
// entry per distinct mask, in first-seen order). For tests and docs: the
// inverse of decodeIpSecList for IPv4 address lists. Empty on a bad CIDR.
QByteArray encodeIpSecList(const QStringList &grantedCidrs);

} // namespace rd::iisimport
