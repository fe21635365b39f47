#include "mailauth/dkimsignature.h"

#include "mailauth/dkimcrypto.h"
#include "mailauth/dkimkeyrecord.h"
#include "util/errorout.h"
#include "util/textchars.h"

namespace rd::mailauth {

namespace {
using util::asciiLower;
using util::fail;

QString latinExcerpt(const QByteArray &b)
{
    return QString::fromLatin1(b.left(60));
}

std::optional<qint64> parseNumber(const QByteArray &value)
{
    // RFC 6376: 1*76DIGIT; we accept what fits in 63 bits.
    if (value.isEmpty() || value.size() > 18)
        return std::nullopt;
    qint64 n = 0;
    for (char c : value) {
        if (c < '0' || c > '9')
            return std::nullopt;
        n = n * 10 + (c - '0');
    }
    return n;
}

std::optional<DkimCanon> parseCanon(const QByteArray &word)
{
    if (word == "simple")
        return DkimCanon::Simple;
    if (word == "relaxed")
        return DkimCanon::Relaxed;
    return std::nullopt;
}

bool plausibleDomain(const QByteArray &d)
{
    if (d.isEmpty() || d.size() > 253 || d.startsWith('.') || d.contains(".."))
        return false;
    for (char c : d) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
                        || c == '.' || c == '_';
        if (!ok)
            return false;
    }
    return true;
}

} // namespace

QString DkimSignatureFields::keyName() const
{
    QByteArray d = domain;
    if (d.endsWith('.'))
        d.chop(1);
    return QString::fromLatin1(selector + "._domainkey." + d);
}

QByteArray DkimSignatureFields::identityDomain() const
{
    const qsizetype at = identity.lastIndexOf('@');
    return at < 0 ? QByteArray() : identity.mid(at + 1);
}

std::optional<DkimSignatureFields> parseDkimSignature(const DkimHeaderField &field, QString *error)
{
    const qsizetype colon = field.raw.indexOf(':');
    if (colon < 0) {
        fail(error, QStringLiteral("not a header field"));
        return std::nullopt;
    }
    const QByteArrayView value = QByteArrayView(field.raw).sliced(colon + 1);
    QString tagError;
    const std::optional<DkimTagList> tags = parseDkimTagList(value, &tagError);
    if (!tags) {
        fail(error, QStringLiteral("signature syntax error: %1").arg(tagError));
        return std::nullopt;
    }
    for (const char *required : {"v", "a", "b", "bh", "d", "h", "s"}) {
        if (!tags->contains(required)) {
            fail(error, QStringLiteral("signature without %1= tag").arg(QLatin1String(required)));
            return std::nullopt;
        }
    }
    DkimSignatureFields sig;
    if (tags->value("v") != "1") {
        fail(error, QStringLiteral("unsupported signature version v=%1").arg(latinExcerpt(tags->value("v"))));
        return std::nullopt;
    }
    sig.algorithm = tags->value("a");
    if (sig.algorithm == "rsa-sha1") {
        fail(error, QStringLiteral("rsa-sha1 signatures are not accepted (RFC 8301)"));
        return std::nullopt;
    }
    if (sig.algorithm != "rsa-sha256" && sig.algorithm != "ed25519-sha256") {
        fail(error, QStringLiteral("unknown signature algorithm a=%1").arg(latinExcerpt(sig.algorithm)));
        return std::nullopt;
    }
    const DkimTag *b = tags->find("b");
    const std::optional<QByteArray> bDecoded = dkimDecodeBase64(b->value);
    if (!bDecoded || bDecoded->isEmpty()) {
        fail(error, QStringLiteral("b= is not valid base64"));
        return std::nullopt;
    }
    sig.signature = *bDecoded;
    sig.signatureBase64 = dkimStripWhitespace(b->value);
    sig.bValueStart = colon + 1 + b->valueStart;
    sig.bValueEnd = colon + 1 + b->specEnd;
    const std::optional<QByteArray> bh = dkimDecodeBase64(tags->value("bh"));
    if (!bh || bh->size() != 32) {
        fail(error, QStringLiteral("bh= is not a base64 SHA-256 hash"));
        return std::nullopt;
    }
    sig.bodyHash = *bh;
    if (const DkimTag *c = tags->find("c")) {
        const QList<QByteArray> parts = c->value.split('/');
        const std::optional<DkimCanon> h = parts.size() <= 2 ? parseCanon(parts.value(0)) : std::nullopt;
        const std::optional<DkimCanon> bodyC = parts.size() == 2 ? parseCanon(parts.value(1))
                                                                 : std::optional<DkimCanon>(DkimCanon::Simple);
        if (!h || !bodyC) {
            fail(error, QStringLiteral("unknown canonicalization c=%1").arg(latinExcerpt(c->value)));
            return std::nullopt;
        }
        sig.headerCanon = *h;
        sig.bodyCanon = *bodyC;
    }
    sig.domain = tags->value("d");
    if (!plausibleDomain(sig.domain)) {
        fail(error, QStringLiteral("invalid d= domain '%1'").arg(latinExcerpt(sig.domain)));
        return std::nullopt;
    }
    sig.selector = tags->value("s");
    if (!plausibleDomain(sig.selector)) {
        fail(error, QStringLiteral("invalid s= selector '%1'").arg(latinExcerpt(sig.selector)));
        return std::nullopt;
    }
    sig.headers = dkimSplitColonList(tags->value("h"));
    bool hasFrom = false;
    for (const QByteArray &h : sig.headers) {
        if (h.isEmpty()) {
            fail(error, QStringLiteral("empty header name in h="));
            return std::nullopt;
        }
        hasFrom = hasFrom || dkimHeaderNameEquals(h, "from");
    }
    if (!hasFrom) {
        fail(error, QStringLiteral("From is not signed (h= lacks from)"));
        return std::nullopt;
    }
    if (const DkimTag *i = tags->find("i")) {
        sig.identity = i->value;
        const QByteArray idDomain = asciiLower(sig.identityDomain());
        const QByteArray d = asciiLower(sig.domain);
        if (!sig.identity.contains('@') || (idDomain != d && !idDomain.endsWith("." + d))) {
            fail(error, QStringLiteral("i=%1 is not in the domain d=%2").arg(latinExcerpt(sig.identity), latinExcerpt(sig.domain)));
            return std::nullopt;
        }
    } else {
        sig.identity = "@" + sig.domain;
    }
    if (const DkimTag *l = tags->find("l")) {
        const std::optional<qint64> n = parseNumber(l->value);
        if (!n) {
            fail(error, QStringLiteral("invalid l= body length"));
            return std::nullopt;
        }
        sig.bodyLength = *n;
    }
    if (const DkimTag *q = tags->find("q")) {
        bool dnsTxt = false;
        for (const QByteArray &m : dkimSplitColonList(q->value))
            dnsTxt = dnsTxt || m == "dns/txt";
        if (!dnsTxt) {
            fail(error, QStringLiteral("unsupported query method q=%1").arg(latinExcerpt(q->value)));
            return std::nullopt;
        }
    }
    for (const char *name : {"t", "x"}) {
        if (const DkimTag *t = tags->find(name)) {
            const std::optional<qint64> n = parseNumber(t->value);
            if (!n) {
                fail(error, QStringLiteral("invalid %1= time").arg(QLatin1String(name)));
                return std::nullopt;
            }
            (QByteArrayView(name) == "t" ? sig.timestamp : sig.expiration) = *n;
        }
    }
    if (sig.timestamp >= 0 && sig.expiration >= 0 && sig.expiration < sig.timestamp) {
        fail(error, QStringLiteral("x= is before t="));
        return std::nullopt;
    }
    return sig;
}

QByteArray dkimHeaderData(const DkimMessage &message, const QList<QByteArray> &headerNames,
                          const DkimHeaderField &signatureField, qsizetype bValueStart, qsizetype bValueEnd,
                          DkimCanon canon)
{
    QByteArray data;
    for (qsizetype index : selectDkimHeaders(message, headerNames))
        data += canonicalizeHeader(message.headers[index], canon);
    DkimHeaderField stripped = signatureField;
    stripped.raw = signatureField.raw.left(bValueStart) + signatureField.raw.mid(bValueEnd);
    QByteArray sigData = canonicalizeHeader(stripped, canon);
    if (sigData.endsWith("\r\n"))
        sigData.chop(2);
    return data + sigData;
}

std::optional<QByteArray> dkimBodyHash(const QByteArray &body, DkimCanon canon, qint64 length)
{
    const QByteArray canonical = canonicalizeBody(body, canon);
    if (length > canonical.size())
        return std::nullopt;
    return dkimSha256(length >= 0 ? QByteArrayView(canonical).first(length) : QByteArrayView(canonical));
}

} // namespace rd::mailauth
