#include "dns/dnsupdate.h"

#include "util/errorout.h"

#include <QUrl>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace rd::dns::update {

// Helpers with names specific to this file (unity builds share translation units).
namespace {

void putUpdateU16(QByteArray *out, quint16 v)
{
    out->append(char(v >> 8));
    out->append(char(v & 0xff));
}

void putUpdateU32(QByteArray *out, quint32 v)
{
    putUpdateU16(out, quint16(v >> 16));
    putUpdateU16(out, quint16(v & 0xffff));
}

void putUpdateU48(QByteArray *out, quint64 v)
{
    putUpdateU16(out, quint16((v >> 32) & 0xffff));
    putUpdateU32(out, quint32(v & 0xffffffffu));
}

quint16 updateU16At(const QByteArray &b, int pos)
{
    return quint16((quint8(b[pos]) << 8) | quint8(b[pos + 1]));
}

void setUpdateU16At(QByteArray *b, int pos, quint16 v)
{
    (*b)[pos] = char(v >> 8);
    (*b)[pos + 1] = char(v & 0xff);
}

QString updateCanonicalName(const QString &name)
{
    QString n = name.trimmed().toLower();
    if (n.endsWith(QLatin1Char('.')))
        n.chop(1);
    return n;
}

bool updateNameInZone(const QString &name, const QString &zone)
{
    const QString n = updateCanonicalName(name), z = updateCanonicalName(zone);
    return n == z || n.endsWith(QLatin1Char('.') + z);
}

// Reads a (possibly compressed) name at *pos, advancing *pos past it. out may be null.
bool readUpdateWireName(const QByteArray &msg, int *pos, QString *out)
{
    int p = *pos;
    int end = -1;   // where the name ends in the original position
    int jumps = 0;
    QStringList labels;
    int total = 0;
    while (true) {
        if (p >= msg.size())
            return false;
        const quint8 len = quint8(msg[p]);
        if (len == 0) {
            if (end < 0)
                end = p + 1;
            break;
        }
        if ((len & 0xc0) == 0xc0) {
            if (p + 1 >= msg.size() || ++jumps > 32)
                return false;
            if (end < 0)
                end = p + 2;
            p = ((len & 0x3f) << 8) | quint8(msg[p + 1]);
            continue;
        }
        if ((len & 0xc0) != 0 || p + 1 + len > msg.size())
            return false;
        total += len + 1;
        if (total > 255)
            return false;
        if (out)
            labels << QString::fromLatin1(msg.mid(p + 1, len));
        p += 1 + len;
    }
    *pos = end;
    if (out)
        *out = labels.join(QLatin1Char('.')).toLower();
    return true;
}

// Skips one resource record at *pos; its type, class and RDATA position/length when asked.
bool skipUpdateWireRecord(const QByteArray &msg, int *pos, QString *owner = nullptr, int *type = nullptr,
                          int *rdataPos = nullptr, int *rdataLen = nullptr)
{
    if (!readUpdateWireName(msg, pos, owner) || *pos + 10 > msg.size())
        return false;
    if (type)
        *type = updateU16At(msg, *pos);
    const int len = updateU16At(msg, *pos + 8);
    *pos += 10;
    if (*pos + len > msg.size())
        return false;
    if (rdataPos)
        *rdataPos = *pos;
    if (rdataLen)
        *rdataLen = len;
    *pos += len;
    return true;
}

QByteArray updateTxtRdata(const QByteArray &value)
{
    QByteArray rdata;
    if (value.isEmpty()) {
        rdata.append(char(0));
        return rdata;
    }
    for (qsizetype i = 0; i < value.size(); i += 255) {
        const QByteArray part = value.mid(i, 255);
        rdata.append(char(part.size()));
        rdata.append(part);
    }
    return rdata;
}

QByteArray updateTsigVariables(const TsigKey &key, quint64 timeSigned, quint16 fudge, quint16 error,
                         const QByteArray &otherData)
{
    QByteArray v = encodeName(key.name);
    putUpdateU16(&v, ClassAny);
    putUpdateU32(&v, 0);
    v += encodeName(tsigAlgorithmName(key.algorithm));
    putUpdateU48(&v, timeSigned);
    putUpdateU16(&v, fudge);
    putUpdateU16(&v, error);
    putUpdateU16(&v, quint16(otherData.size()));
    v += otherData;
    return v;
}

QString updateReplyErrorText(int rcode, int tsigError, const TsigKey &key)
{
    const QString head = tsigError ? QStringLiteral("the server said %1 (%2)").arg(rcodeName(rcode), tsigErrorName(tsigError))
                                   : QStringLiteral("the server said %1").arg(rcodeName(rcode));
    QString why;
    switch (tsigError) {
    case TsigBadSig:
        why = QStringLiteral("the TSIG secret does not match the server's key %1").arg(key.name);
        break;
    case TsigBadKey:
        why = QStringLiteral("the server does not know the key %1 with %2")
                  .arg(key.name, tsigAlgorithmName(key.algorithm));
        break;
    case TsigBadTime:
        why = QStringLiteral("this machine's clock and the server's differ by more than %1 s").arg(DefaultFudge);
        break;
    case TsigBadTrunc:
        why = QStringLiteral("the MAC was truncated");
        break;
    default:
        switch (rcode) {
        case 1: why = QStringLiteral("it could not read the update"); break;
        case 2: why = QStringLiteral("it failed to apply the update"); break;
        case 4: why = QStringLiteral("it does not implement DNS UPDATE"); break;
        case 5: why = QStringLiteral("the update is not allowed (the key's ACL, or updates are off for the zone)"); break;
        case 9: why = QStringLiteral("it is not authoritative for the zone, or the key is not accepted"); break;
        case 10: why = QStringLiteral("a name is outside the zone"); break;
        default: break;
        }
    }
    return why.isEmpty() ? head : head + QStringLiteral(": ") + why;
}

} // namespace

std::optional<TsigAlgorithm> parseTsigAlgorithm(const QString &name)
{
    const QString n = updateCanonicalName(name);
    if (n == QLatin1String("hmac-sha256"))
        return TsigAlgorithm::HmacSha256;
    if (n == QLatin1String("hmac-sha512"))
        return TsigAlgorithm::HmacSha512;
    return std::nullopt;
}

QString tsigAlgorithmName(TsigAlgorithm algorithm)
{
    return algorithm == TsigAlgorithm::HmacSha512 ? QStringLiteral("hmac-sha512") : QStringLiteral("hmac-sha256");
}

std::optional<TsigKey> makeTsigKey(const QString &name, const QString &algorithm, const QString &base64Secret,
                                   QString *error)
{
    TsigKey key;
    key.name = updateCanonicalName(name);
    if (key.name.isEmpty() || encodeName(key.name).isEmpty()) {
        util::setError(error, QStringLiteral("the TSIG key name \"%1\" is not a valid domain name").arg(name));
        return std::nullopt;
    }
    const std::optional<TsigAlgorithm> alg = parseTsigAlgorithm(algorithm.isEmpty() ? QStringLiteral("hmac-sha256")
                                                                                      : algorithm);
    if (!alg) {
        util::setError(error, QStringLiteral("TSIG algorithm \"%1\" is not supported (hmac-sha256 or hmac-sha512)")
                                  .arg(algorithm));
        return std::nullopt;
    }
    key.algorithm = *alg;
    const auto decoded = QByteArray::fromBase64Encoding(base64Secret.trimmed().toLatin1(),
                                                        QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.isEmpty()) {
        util::setError(error, QStringLiteral("the TSIG secret of key %1 is empty or not base64").arg(key.name));
        return std::nullopt;
    }
    key.secret = decoded.decoded;
    return key;
}

QByteArray encodeName(const QString &name)
{
    QString n = updateCanonicalName(name);
    if (n.isEmpty())
        return {};
    bool ascii = true;
    for (QChar c : std::as_const(n))
        ascii = ascii && c.unicode() < 0x80;
    const QByteArray raw = ascii ? n.toLatin1() : QUrl::toAce(n);
    if (raw.isEmpty())
        return {};
    QByteArray out;
    for (const QByteArray &label : raw.split('.')) {
        if (label.isEmpty() || label.size() > 63)
            return {};
        out.append(char(label.size()));
        out.append(label.toLower());
    }
    out.append(char(0));
    if (out.size() > 255)
        return {};
    return out;
}

QByteArray buildUpdate(quint16 id, const QString &zone, const QList<TxtRr> &records, UpdateAction action,
                       quint32 ttl, QString *error)
{
    const QByteArray zoneName = encodeName(zone);
    if (zoneName.isEmpty()) {
        util::setError(error, QStringLiteral("\"%1\" is not a valid zone name").arg(zone));
        return {};
    }
    if (records.isEmpty() || records.size() > 0xffff) {
        util::setError(error, QStringLiteral("no records to update"));
        return {};
    }
    QByteArray msg;
    putUpdateU16(&msg, id);
    putUpdateU16(&msg, quint16(OpcodeUpdate << 11));
    putUpdateU16(&msg, 1);                       // ZOCOUNT
    putUpdateU16(&msg, 0);                       // PRCOUNT
    putUpdateU16(&msg, quint16(records.size())); // UPCOUNT
    putUpdateU16(&msg, 0);                       // ADCOUNT
    msg += zoneName;
    putUpdateU16(&msg, TypeSoa);
    putUpdateU16(&msg, ClassIn);
    for (const TxtRr &r : records) {
        const QByteArray owner = encodeName(r.name);
        if (owner.isEmpty() || !updateNameInZone(r.name, zone)) {
            util::setError(error, owner.isEmpty() ? QStringLiteral("\"%1\" is not a valid name").arg(r.name)
                                                  : QStringLiteral("%1 is not in the zone %2").arg(r.name, zone));
            return {};
        }
        const QByteArray rdata = updateTxtRdata(r.value);
        msg += owner;
        putUpdateU16(&msg, TypeTxt);
        putUpdateU16(&msg, action == UpdateAction::Add ? ClassIn : ClassNone);
        putUpdateU32(&msg, action == UpdateAction::Add ? ttl : 0);
        putUpdateU16(&msg, quint16(rdata.size()));
        msg += rdata;
    }
    return msg;
}

QByteArray buildSoaQuery(quint16 id, const QString &name)
{
    const QByteArray qname = encodeName(name);
    if (qname.isEmpty())
        return {};
    QByteArray msg;
    putUpdateU16(&msg, id);
    putUpdateU16(&msg, 0); // standard query, RD off: the server answers from its own zones
    putUpdateU16(&msg, 1);
    putUpdateU16(&msg, 0);
    putUpdateU16(&msg, 0);
    putUpdateU16(&msg, 0);
    msg += qname;
    putUpdateU16(&msg, TypeSoa);
    putUpdateU16(&msg, ClassIn);
    return msg;
}

QByteArray tsigHmac(const TsigKey &key, const QByteArray &data)
{
    const EVP_MD *md = key.algorithm == TsigAlgorithm::HmacSha512 ? EVP_sha512() : EVP_sha256();
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int outLen = 0;
    if (!HMAC(md, key.secret.constData(), int(key.secret.size()),
              reinterpret_cast<const unsigned char *>(data.constData()), size_t(data.size()), out, &outLen))
        return {};
    return QByteArray(reinterpret_cast<const char *>(out), int(outLen));
}

SignedMessage signMessage(const QByteArray &message, const TsigKey &key, quint64 timeSigned, quint16 fudge)
{
    SignedMessage s;
    if (message.size() < 12 || !key.isValid())
        return s;
    const QByteArray vars = updateTsigVariables(key, timeSigned, fudge, 0, {});
    s.mac = tsigHmac(key, message + vars);
    if (s.mac.isEmpty())
        return s;
    QByteArray rdata = encodeName(tsigAlgorithmName(key.algorithm));
    putUpdateU48(&rdata, timeSigned);
    putUpdateU16(&rdata, fudge);
    putUpdateU16(&rdata, quint16(s.mac.size()));
    rdata += s.mac;
    rdata.append(message.left(2)); // original ID
    putUpdateU16(&rdata, 0);       // error
    putUpdateU16(&rdata, 0);       // other len
    s.message = message;
    setUpdateU16At(&s.message, 10, quint16(updateU16At(message, 10) + 1)); // ARCOUNT
    s.message += encodeName(key.name);
    putUpdateU16(&s.message, TypeTsig);
    putUpdateU16(&s.message, ClassAny);
    putUpdateU32(&s.message, 0);
    putUpdateU16(&s.message, quint16(rdata.size()));
    s.message += rdata;
    return s;
}

UpdateReply parseUpdateReply(const QByteArray &reply, quint16 requestId, const TsigKey &key,
                             const QByteArray &requestMac, quint64 now)
{
    UpdateReply r;
    auto bad = [&r](const QString &text) {
        r.ok = false;
        r.error = text;
        return r;
    };
    if (reply.size() < 12)
        return bad(QStringLiteral("the reply is too short"));
    if (updateU16At(reply, 0) != requestId)
        return bad(QStringLiteral("the reply is for another request (id)"));
    const quint16 flags = updateU16At(reply, 2);
    if (!(flags & 0x8000) || ((flags >> 11) & 0xf) != OpcodeUpdate)
        return bad(QStringLiteral("the reply is not an UPDATE response"));
    r.rcode = flags & 0xf;
    const int counts[3] = {updateU16At(reply, 4), updateU16At(reply, 6), updateU16At(reply, 8)};
    const int arCount = updateU16At(reply, 10);
    int pos = 12;
    for (int i = 0; i < counts[0]; ++i) {
        if (!readUpdateWireName(reply, &pos, nullptr) || pos + 4 > reply.size())
            return bad(QStringLiteral("the reply is malformed"));
        pos += 4;
    }
    for (int i = 0; i < counts[1] + counts[2]; ++i) {
        if (!skipUpdateWireRecord(reply, &pos))
            return bad(QStringLiteral("the reply is malformed"));
    }
    int tsigStart = -1, tsigType = 0, rdataPos = 0, rdataLen = 0;
    QString tsigOwner;
    for (int i = 0; i < arCount; ++i) {
        const int start = pos;
        if (!skipUpdateWireRecord(reply, &pos, &tsigOwner, &tsigType, &rdataPos, &rdataLen))
            return bad(QStringLiteral("the reply is malformed"));
        tsigStart = start;
    }
    if (arCount == 0 || tsigType != TypeTsig) {
        // Unsigned: an error before TSIG processing, or a server that ignored the key.
        if (r.rcode != RcodeNoError)
            return bad(updateReplyErrorText(r.rcode, 0, key));
        return bad(QStringLiteral("the reply is not signed (TSIG missing)"));
    }
    r.signedReply = true;
    // TSIG RDATA.
    int p = rdataPos;
    const int rdataEnd = rdataPos + rdataLen;
    QString algorithm;
    if (!readUpdateWireName(reply, &p, &algorithm) || p + 10 > rdataEnd)
        return bad(QStringLiteral("the reply's TSIG record is malformed"));
    const quint64 timeSigned = (quint64(updateU16At(reply, p)) << 32) | (quint64(updateU16At(reply, p + 2)) << 16)
                               | updateU16At(reply, p + 4);
    const quint16 fudge = updateU16At(reply, p + 6);
    const int macSize = updateU16At(reply, p + 8);
    p += 10;
    if (p + macSize + 6 > rdataEnd)
        return bad(QStringLiteral("the reply's TSIG record is malformed"));
    const QByteArray mac = reply.mid(p, macSize);
    p += macSize;
    const quint16 originalId = updateU16At(reply, p);
    r.tsigError = updateU16At(reply, p + 2);
    const int otherLen = updateU16At(reply, p + 4);
    p += 6;
    if (p + otherLen != rdataEnd)
        return bad(QStringLiteral("the reply's TSIG record is malformed"));
    const QByteArray otherData = reply.mid(p, otherLen);

    if (r.tsigError != 0 && mac.isEmpty()) // BADSIG/BADKEY: the server could not sign (RFC 8945 5.3.2)
        return bad(updateReplyErrorText(r.rcode == RcodeNoError ? RcodeNotAuth : r.rcode, r.tsigError, key));
    if (tsigOwner != updateCanonicalName(key.name) || algorithm != tsigAlgorithmName(key.algorithm))
        return bad(QStringLiteral("the reply is signed with another key (%1, %2)").arg(tsigOwner, algorithm));
    // RFC 8945 4.3.1/5.3: request MAC, the reply without its TSIG (ARCOUNT - 1, original ID), the variables.
    QByteArray digest;
    putUpdateU16(&digest, quint16(requestMac.size()));
    digest += requestMac;
    QByteArray body = reply.left(tsigStart);
    setUpdateU16At(&body, 0, originalId);
    setUpdateU16At(&body, 10, quint16(arCount - 1));
    digest += body;
    digest += updateTsigVariables(key, timeSigned, fudge, quint16(r.tsigError), otherData);
    const QByteArray expected = tsigHmac(key, digest);
    if (expected.isEmpty() || mac.size() != expected.size()
        || CRYPTO_memcmp(mac.constData(), expected.constData(), size_t(mac.size())) != 0)
        return bad(QStringLiteral("the reply's TSIG MAC does not verify (a forged or altered reply)"));
    if (r.tsigError != 0 || r.rcode != RcodeNoError)
        return bad(updateReplyErrorText(r.rcode, r.tsigError, key));
    const qint64 skew = qint64(now) - qint64(timeSigned);
    if (skew > fudge || -skew > fudge)
        return bad(QStringLiteral("the reply's TSIG time is %1 s away from this machine's clock").arg(skew));
    r.ok = true;
    return r;
}

std::optional<QString> zoneFromSoaReply(const QByteArray &reply, quint16 id, QString *error)
{
    if (reply.size() < 12 || updateU16At(reply, 0) != id || !(updateU16At(reply, 2) & 0x8000)) {
        util::setError(error, QStringLiteral("the SOA reply is malformed or not for this query"));
        return std::nullopt;
    }
    const int rcode = updateU16At(reply, 2) & 0xf;
    if (rcode != RcodeNoError && rcode != 3 /* NXDOMAIN still carries the zone's SOA */) {
        util::setError(error, QStringLiteral("the server said %1 to a SOA query (is it authoritative for the zone?)")
                                  .arg(rcodeName(rcode)));
        return std::nullopt;
    }
    const int qd = updateU16At(reply, 4), an = updateU16At(reply, 6), ns = updateU16At(reply, 8);
    int pos = 12;
    for (int i = 0; i < qd; ++i) {
        if (!readUpdateWireName(reply, &pos, nullptr) || pos + 4 > reply.size()) {
            util::setError(error, QStringLiteral("the SOA reply is malformed"));
            return std::nullopt;
        }
        pos += 4;
    }
    for (int i = 0; i < an + ns; ++i) {
        QString owner;
        int type = 0;
        if (!skipUpdateWireRecord(reply, &pos, &owner, &type)) {
            util::setError(error, QStringLiteral("the SOA reply is malformed"));
            return std::nullopt;
        }
        if (type == TypeSoa && !owner.isEmpty())
            return owner;
    }
    util::setError(error, QStringLiteral("the server's reply names no zone (no SOA; is it authoritative?)"));
    return std::nullopt;
}

QString rcodeName(int rcode)
{
    static const char *const names[] = {"NOERROR", "FORMERR",  "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                        "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE"};
    if (rcode >= 0 && rcode < int(std::size(names)))
        return QString::fromLatin1(names[rcode]);
    return QStringLiteral("RCODE %1").arg(rcode);
}

QString tsigErrorName(int error)
{
    switch (error) {
    case 0: return QStringLiteral("NOERROR");
    case TsigBadSig: return QStringLiteral("BADSIG");
    case TsigBadKey: return QStringLiteral("BADKEY");
    case TsigBadTime: return QStringLiteral("BADTIME");
    case 19: return QStringLiteral("BADMODE");
    case 20: return QStringLiteral("BADNAME");
    case 21: return QStringLiteral("BADALG");
    case TsigBadTrunc: return QStringLiteral("BADTRUNC");
    default: return QStringLiteral("TSIG error %1").arg(error);
    }
}

} // namespace rd::dns::update
