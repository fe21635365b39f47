#include "mailauth/dkimkeyrecord.h"

#include "mailauth/dkimtags.h"
#include "util/errorout.h"

namespace rd::mailauth {

namespace {
using util::fail;

} // namespace

bool DkimKeyRecord::allowsHash(QByteArrayView hash) const
{
    if (hashes.isEmpty())
        return true;
    for (const QByteArray &h : hashes) {
        if (QByteArrayView(h) == hash)
            return true;
    }
    return false;
}

std::optional<QByteArray> dkimDecodeBase64(QByteArrayView text)
{
    const QByteArray clean = dkimStripWhitespace(text);
    qsizetype pad = 0;
    for (qsizetype i = 0; i < clean.size(); ++i) {
        const char c = clean[i];
        const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                           || c == '+' || c == '/';
        if (c == '=') {
            ++pad;
        } else if (!alpha || pad > 0) {
            return std::nullopt;
        }
    }
    if (pad > 2 || clean.size() % 4 != 0)
        return std::nullopt;
    auto decoded = QByteArray::fromBase64Encoding(clean, QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return std::nullopt;
    return *decoded;
}

std::optional<DkimKeyRecord> parseDkimKeyRecord(QByteArrayView txt, QString *error)
{
    QString tagError;
    const std::optional<DkimTagList> tags = parseDkimTagList(txt, &tagError);
    if (!tags) {
        fail(error, QStringLiteral("key record syntax error: %1").arg(tagError));
        return std::nullopt;
    }
    DkimKeyRecord rec;
    if (const DkimTag *v = tags->find("v")) {
        if (v != &tags->tags.first()) {
            fail(error, QStringLiteral("key record: v= is not the first tag"));
            return std::nullopt;
        }
        if (v->value != "DKIM1") {
            fail(error, QStringLiteral("key record: unsupported version v=%1")
                            .arg(QString::fromLatin1(v->value.left(40))));
            return std::nullopt;
        }
    }
    if (const DkimTag *k = tags->find("k")) {
        if (k->value != "rsa" && k->value != "ed25519") {
            fail(error, QStringLiteral("key record: unknown key type k=%1")
                            .arg(QString::fromLatin1(k->value.left(40))));
            return std::nullopt;
        }
        rec.keyType = k->value;
    }
    if (const DkimTag *h = tags->find("h")) {
        rec.hashes = dkimSplitColonList(h->value);
        rec.hashes.removeAll(QByteArray());
    }
    rec.services = {QByteArray("*")};
    if (const DkimTag *s = tags->find("s")) {
        rec.services = dkimSplitColonList(s->value);
        if (!rec.services.contains("*") && !rec.services.contains("email")) {
            fail(error, QStringLiteral("key record: not for email (s=%1)")
                            .arg(QString::fromLatin1(s->value.left(40))));
            return std::nullopt;
        }
    }
    if (const DkimTag *t = tags->find("t")) {
        const QList<QByteArray> flags = dkimSplitColonList(t->value);
        rec.testing = flags.contains("y");
        rec.strict = flags.contains("s");
    }
    rec.notes = tags->value("n");
    const DkimTag *p = tags->find("p");
    if (!p) {
        fail(error, QStringLiteral("key record: no p= tag"));
        return std::nullopt;
    }
    if (dkimStripWhitespace(p->value).isEmpty()) {
        rec.revoked = true;
        return rec;
    }
    const std::optional<QByteArray> key = dkimDecodeBase64(p->value);
    if (!key || key->isEmpty()) {
        fail(error, QStringLiteral("key record: p= is not valid base64"));
        return std::nullopt;
    }
    if (rec.keyType == "ed25519" && key->size() != 32) {
        fail(error, QStringLiteral("key record: an Ed25519 key must be 32 bytes, p= has %1").arg(key->size()));
        return std::nullopt;
    }
    rec.publicKey = *key;
    return rec;
}

} // namespace rd::mailauth
