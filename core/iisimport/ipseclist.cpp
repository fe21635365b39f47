#include "iisimport/ipseclist.h"

#include <QHostAddress>
#include <QtEndian>

namespace rd::iisimport {
namespace {

constexpr quint32 kSelfRelative = 0x80000000u;
constexpr quint32 kAfInet = 2;
constexpr int kEntrySize = 20;

class Blob {
public:
    explicit Blob(const QByteArray &b) : m_b(b) {}
    bool dword(qint64 at, quint32 *v) const
    {
        if (at < 0 || at + 4 > m_b.size())
            return false;
        *v = qFromLittleEndian<quint32>(m_b.constData() + at);
        return true;
    }
    qint64 size() const { return m_b.size(); }
    const uchar *bytes(qint64 at) const { return reinterpret_cast<const uchar *>(m_b.constData() + at); }

private:
    const QByteArray &m_b;
};

bool offsetOf(quint32 raw, qint64 *out)
{
    if (!(raw & kSelfRelative))
        return false;
    *out = qint64(raw & ~kSelfRelative);
    return true;
}

int prefixOf(const uchar *mask, int len)
{
    int bits = 0;
    bool ended = false;
    for (int i = 0; i < len; ++i) {
        for (int b = 7; b >= 0; --b) {
            const bool set = mask[i] & (1u << b);
            if (set && ended)
                return -1; // not contiguous
            if (set)
                ++bits;
            else
                ended = true;
        }
    }
    return bits;
}

bool readAddressList(const Blob &blob, qint64 at, const char *what, QStringList *out, QString *error)
{
    quint32 entries = 0, total = 0;
    if (!blob.dword(at, &entries) || !blob.dword(at + 4, &total)) {
        *error = QStringLiteral("%1 list header at offset %2 lies outside the %3 bytes").arg(what).arg(at).arg(blob.size());
        return false;
    }
    if (entries > 64 || total > 100000) {
        *error = QStringLiteral("%1 list claims %2 entries and %3 addresses").arg(what).arg(entries).arg(total);
        return false;
    }
    quint64 sum = 0;
    for (quint32 i = 0; i < entries; ++i) {
        const qint64 e = at + 8 + qint64(i) * kEntrySize;
        quint32 family = 0, nSlots = 0, fullBytes = 0, lastByte = 0, rawOff = 0;
        if (!blob.dword(e, &family) || !blob.dword(e + 4, &nSlots) || !blob.dword(e + 8, &fullBytes) ||
            !blob.dword(e + 12, &lastByte) || !blob.dword(e + 16, &rawOff)) {
            *error = QStringLiteral("%1 list entry %2 lies outside the blob").arg(what).arg(i + 1);
            return false;
        }
        if (family != kAfInet) {
            *error = QStringLiteral("%1 list entry %2: address family %3 is not IPv4 (2)").arg(what).arg(i + 1).arg(family);
            return false;
        }
        qint64 data = 0;
        if (!offsetOf(rawOff, &data) || nSlots < 1) {
            *error = QStringLiteral("%1 list entry %2: bad offset 0x%3 or slot count %4")
                         .arg(what).arg(i + 1).arg(rawOff, 8, 16, QLatin1Char('0')).arg(nSlots);
            return false;
        }
        if (data + qint64(nSlots) * 4 > blob.size()) {
            *error = QStringLiteral("%1 list entry %2: %3 addresses at offset %4 run past the %5 bytes")
                         .arg(what).arg(i + 1).arg(nSlots - 1).arg(data).arg(blob.size());
            return false;
        }
        const int prefix = prefixOf(blob.bytes(data), 4);
        if (prefix < 0 || fullBytes > 4 || prefix / 8 != int(fullBytes)) {
            *error = QStringLiteral("%1 list entry %2: the mask is not a contiguous network mask matching %3 full bytes")
                         .arg(what).arg(i + 1).arg(fullBytes);
            return false;
        }
        Q_UNUSED(lastByte); // the partial mask byte; the stored mask already carries it
        for (quint32 k = 1; k < nSlots; ++k) {
            const uchar *a = blob.bytes(data + qint64(k) * 4);
            const quint32 ip = (quint32(a[0]) << 24) | (quint32(a[1]) << 16) | (quint32(a[2]) << 8) | a[3];
            *out << QStringLiteral("%1/%2").arg(QHostAddress(ip).toString()).arg(prefix);
        }
        sum += nSlots - 1;
    }
    if (sum != total) {
        *error = QStringLiteral("%1 list: the entries hold %2 addresses but the header says %3").arg(what).arg(sum).arg(total);
        return false;
    }
    return true;
}

bool countNames(const Blob &blob, qint64 at, const char *what, int *out, QString *error)
{
    quint32 entries = 0, total = 0;
    if (!blob.dword(at, &entries) || !blob.dword(at + 4, &total)) {
        *error = QStringLiteral("%1 name list header lies outside the blob").arg(what);
        return false;
    }
    *out = int(qMin<quint32>(total, 100000));
    return true;
}

} // namespace

bool hexToBytes(const QString &text, QByteArray *out, QString *error)
{
    QByteArray compact;
    for (QChar c : text) {
        if (c.isSpace())
            continue;
        if (!isxdigit(c.toLatin1()) || c.unicode() > 0x7f) {
            *error = QStringLiteral("not hexadecimal (\"%1\")").arg(QString(c));
            return false;
        }
        compact.append(c.toLatin1());
    }
    if (compact.size() % 2) {
        *error = QStringLiteral("an odd number of hex digits (%1)").arg(compact.size());
        return false;
    }
    *out = QByteArray::fromHex(compact);
    return true;
}

bool decodeIpSecList(const QByteArray &blob, IpSecList *out, QString *error)
{
    *out = IpSecList();
    const Blob b(blob);
    if (blob.isEmpty())
        return true; // RelayIpList="": an empty list
    quint32 raw[4];
    qint64 off[4];
    for (int i = 0; i < 4; ++i) {
        if (!b.dword(i * 4, &raw[i])) {
            *error = QStringLiteral("%1 bytes: too short for the header of four list offsets").arg(blob.size());
            return false;
        }
        if (!offsetOf(raw[i], &off[i]) || off[i] < 16 || off[i] >= blob.size()) {
            *error = QStringLiteral("header offset %1 (0x%2) is not a self-relative offset inside the %3 bytes")
                         .arg(i + 1).arg(raw[i], 8, 16, QLatin1Char('0')).arg(blob.size());
            return false;
        }
    }
    return readAddressList(b, off[0], "deny", &out->denied, error) &&
           readAddressList(b, off[1], "grant", &out->granted, error) &&
           countNames(b, off[2], "deny", &out->deniedNames, error) &&
           countNames(b, off[3], "grant", &out->grantedNames, error);
}

QByteArray encodeIpSecList(const QStringList &grantedCidrs)
{
    // Group addresses by prefix length, first-seen order.
    QList<int> prefixes;
    QList<QList<quint32>> groups;
    for (const QString &c : grantedCidrs) {
        const auto parsed = QHostAddress::parseSubnet(c.contains(QLatin1Char('/')) ? c : c + QStringLiteral("/32"));
        if (parsed.first.protocol() != QAbstractSocket::IPv4Protocol)
            return {};
        const int idx = prefixes.indexOf(parsed.second);
        if (idx < 0) {
            prefixes << parsed.second;
            groups << QList<quint32>{parsed.first.toIPv4Address()};
        } else {
            groups[idx] << parsed.first.toIPv4Address();
        }
    }
    QByteArray out;
    auto put = [&out](quint32 v) {
        char b[4];
        qToLittleEndian<quint32>(v, b);
        out.append(b, 4);
    };
    const quint32 denyAt = 24, grantAt = 32;
    const quint32 namesAt = grantAt + 8 + quint32(prefixes.size()) * kEntrySize;
    const quint32 dataAt = namesAt + 16;
    put(denyAt | kSelfRelative);
    put(grantAt | kSelfRelative);
    put(namesAt | kSelfRelative);
    put((namesAt + 8) | kSelfRelative);
    put(1);
    put(dataAt);
    put(0); // deny: no entries
    put(0);
    put(quint32(prefixes.size()));
    put(quint32(grantedCidrs.size()));
    quint32 at = dataAt;
    for (int i = 0; i < prefixes.size(); ++i) {
        const quint32 mask = prefixes[i] == 0 ? 0 : ~quint32(0) << (32 - prefixes[i]);
        put(kAfInet);
        put(quint32(groups[i].size()) + 1);
        put(quint32(prefixes[i] / 8));
        put(prefixes[i] % 8 ? (mask >> (24 - (prefixes[i] / 8) * 8)) & 0xff : 0);
        put(at | kSelfRelative);
        at += 4 * (quint32(groups[i].size()) + 1);
    }
    for (int i = 0; i < 4; ++i)
        put(0); // the two name lists
    for (int i = 0; i < prefixes.size(); ++i) {
        const quint32 mask = prefixes[i] == 0 ? 0 : ~quint32(0) << (32 - prefixes[i]);
        for (quint32 v : QList<quint32>{mask} + groups[i]) {
            const char be[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
            out.append(be, 4);
        }
    }
    return out;
}

} // namespace rd::iisimport
