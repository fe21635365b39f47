// libFuzzer target: the pure DKIM parsers of core/mailauth: the tag=value list
// (dkimtags.h), the key record (dkimkeyrecord.h) and the message split and
// canonicalisation (dkimcanon.h). Any violated invariant calls __builtin_trap().
//
// Invariants:
//   parseDkimTagList  ok: names are ALPHA *(ALPHA/DIGIT/"_") and unique; values
//                     have no ';', no leading/trailing whitespace, only
//                     VALCHAR and whitespace; offsets are ordered and inside the
//                     input; printing "name=value;" for every tag and parsing
//                     that again gives the same tags.
//   parseDkimKeyRecord ok: k= is rsa or ed25519; not revoked -> key bytes
//                     present (32 for ed25519), and they survive a base64
//                     round trip through dkimDecodeBase64.
//   dkimDecodeBase64  ok -> re-encoding has the input's length (whitespace
//                     removed) and decodes to the same bytes.
//   splitDkimMessage  the fields' raw bytes + (CRLF + body if there is one)
//                     give the input back; canonical bodies end in CRLF unless
//                     empty; relaxed output has no WSP before a CRLF.

#include "mailauth/dkimcanon.h"
#include "mailauth/dkimkeyrecord.h"
#include "mailauth/dkimtags.h"

#include <QByteArray>

#include <cstddef>
#include <cstdint>

using namespace rd::mailauth;

namespace {

void check(bool ok)
{
    if (!ok)
        __builtin_trap();
}

bool isWs(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void fuzzTags(QByteArrayView in)
{
    const auto tags = parseDkimTagList(in);
    if (!tags)
        return;
    QByteArray printed;
    qsizetype lastEnd = -1;
    for (qsizetype i = 0; i < tags->tags.size(); ++i) {
        const DkimTag &t = tags->tags[i];
        check(!t.name.isEmpty());
        for (qsizetype k = 0; k < t.name.size(); ++k) {
            const char c = t.name[k];
            const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            check(k == 0 ? alpha : (alpha || (c >= '0' && c <= '9') || c == '_'));
        }
        for (qsizetype j = 0; j < i; ++j)
            check(tags->tags[j].name != t.name);
        check(!t.value.contains(';'));
        if (!t.value.isEmpty())
            check(!isWs(t.value.front()) && !isWs(t.value.back()));
        for (char c : t.value)
            check(isWs(c) || (static_cast<unsigned char>(c) >= 0x21 && static_cast<unsigned char>(c) <= 0x7e));
        check(t.valueStart > lastEnd && t.valueStart <= t.specEnd && t.specEnd <= in.size());
        lastEnd = t.specEnd;
        printed += t.name + "=" + t.value + ";";
    }
    const auto again = parseDkimTagList(printed);
    check(again.has_value() && again->tags.size() == tags->tags.size());
    for (qsizetype i = 0; i < tags->tags.size(); ++i)
        check(again->tags[i].name == tags->tags[i].name && again->tags[i].value == tags->tags[i].value);
}

void fuzzKeyRecord(QByteArrayView in)
{
    const auto rec = parseDkimKeyRecord(in);
    if (!rec)
        return;
    check(rec->keyType == "rsa" || rec->keyType == "ed25519");
    if (rec->revoked) {
        check(rec->publicKey.isEmpty());
        return;
    }
    check(!rec->publicKey.isEmpty());
    if (rec->keyType == "ed25519")
        check(rec->publicKey.size() == 32);
    const auto back = dkimDecodeBase64(rec->publicKey.toBase64());
    check(back.has_value() && *back == rec->publicKey);
}

void fuzzBase64(QByteArrayView in)
{
    const auto decoded = dkimDecodeBase64(in);
    if (!decoded)
        return;
    // Same length as canonical base64 (unused low bits may be non-zero: accepted).
    check(decoded->toBase64().size() == dkimStripWhitespace(in).size());
    const auto again = dkimDecodeBase64(decoded->toBase64());
    check(again.has_value() && *again == *decoded);
}

void fuzzMessage(QByteArrayView in)
{
    const DkimMessage m = splitDkimMessage(in);
    QByteArray joined;
    for (const DkimHeaderField &f : m.headers) {
        joined += f.raw;
        canonicalizeHeader(f, DkimCanon::Simple);
        const QByteArray relaxed = canonicalizeHeader(f, DkimCanon::Relaxed);
        check(relaxed.endsWith("\r\n") && !relaxed.contains(" \r\n"));
    }
    if (joined.size() < in.size()) { // the empty line, then the body
        check(QByteArrayView(in).sliced(joined.size()).startsWith("\r\n"));
        joined += "\r\n" + m.body;
    }
    check(joined == in);
    for (DkimCanon c : {DkimCanon::Simple, DkimCanon::Relaxed}) {
        const QByteArray body = canonicalizeBody(m.body, c);
        check(body.isEmpty() ? c == DkimCanon::Relaxed : body.endsWith("\r\n"));
        check(!body.endsWith("\r\n\r\n"));
        if (c == DkimCanon::Relaxed)
            check(!body.contains(" \r\n") && !body.contains("\t") && !body.contains("  "));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    const QByteArrayView in(reinterpret_cast<const char *>(data), qsizetype(size));
    fuzzTags(in);
    fuzzKeyRecord(in);
    fuzzBase64(in);
    fuzzMessage(in);
    return 0;
}
