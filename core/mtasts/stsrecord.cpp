#include "mtasts/stsrecord.h"
#include "util/textchars.h"

namespace rd::mtasts {
namespace {
using util::isWsp;
using util::isAsciiAlnum;

QByteArray trimWsp(QByteArray s)
{
    qsizetype b = 0;
    qsizetype e = s.size();
    while (b < e && isWsp(s.at(b)))
        ++b;
    while (e > b && isWsp(s.at(e - 1)))
        --e;
    return s.mid(b, e - b);
}

// sts-ext-name = (ALPHA / DIGIT) 0*31(ALPHA / DIGIT / "_" / "-" / ".")
bool validExtName(const QByteArray &n)
{
    if (n.isEmpty() || n.size() > 32 || !isAsciiAlnum(n.at(0)))
        return false;
    for (char c : n) {
        if (!isAsciiAlnum(c) && c != '_' && c != '-' && c != '.')
            return false;
    }
    return true;
}

// sts-ext-value = 1*(%x21-3A / %x3C / %x3E-7E): visible, no "=" or ";".
bool validExtValue(const QByteArray &v)
{
    if (v.isEmpty())
        return false;
    for (char c : v) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x21 || u > 0x7e || c == '=' || c == ';')
            return false;
    }
    return true;
}

} // namespace

bool parseStsRecord(const QByteArray &text, StsRecord *out, QString *error)
{
    const auto fail = [error](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    if (!text.startsWith("v=STSv1"))
        return fail(QStringLiteral("record does not start with v=STSv1"));
    const QList<QByteArray> fields = text.split(';');
    bool haveId = false;
    for (qsizetype i = 0; i < fields.size(); ++i) {
        const QByteArray f = trimWsp(fields.at(i));
        if (f.isEmpty()) {
            if (i == fields.size() - 1 && i > 0)
                break; // the optional trailing ";"
            return fail(QStringLiteral("empty field"));
        }
        const qsizetype eq = f.indexOf('=');
        if (eq <= 0)
            return fail(QStringLiteral("field without '=': %1").arg(QString::fromLatin1(f)));
        const QByteArray key = f.left(eq);
        const QByteArray value = f.mid(eq + 1);
        if (i == 0) {
            if (key != "v" || value != "STSv1")
                return fail(QStringLiteral("first field must be v=STSv1"));
            continue;
        }
        if (key == "v")
            return fail(QStringLiteral("v= may appear only first"));
        if (key == "id") {
            if (haveId)
                return fail(QStringLiteral("id appears twice"));
            if (value.isEmpty() || value.size() > 32)
                return fail(QStringLiteral("id must be 1 to 32 letters or digits"));
            for (char c : value) {
                if (!isAsciiAlnum(c))
                    return fail(QStringLiteral("id must be 1 to 32 letters or digits"));
            }
            haveId = true;
            if (out)
                out->id = value;
            continue;
        }
        if (!validExtName(key) || !validExtValue(value))
            return fail(QStringLiteral("malformed extension field %1").arg(QString::fromLatin1(f)));
    }
    if (!haveId)
        return fail(QStringLiteral("no id field"));
    return true;
}

StsRecordResult selectStsRecord(const QList<QByteArray> &txtTexts)
{
    StsRecordResult r;
    QList<QByteArray> candidates;
    for (const QByteArray &t : txtTexts) {
        // "records that do not begin with v=STSv1; are discarded" (3.1). A
        // lone "v=STSv1" without ";" is no valid record either: keep it so
        // it is reported Invalid rather than silently ignored.
        if (t.startsWith("v=STSv1"))
            candidates << t;
    }
    if (candidates.isEmpty())
        return r;
    if (candidates.size() > 1) {
        r.status = StsRecordResult::Status::Invalid;
        r.error = QStringLiteral("%1 v=STSv1 TXT records (exactly one allowed)").arg(candidates.size());
        return r;
    }
    QString error;
    if (!parseStsRecord(candidates.first(), &r.record, &error)) {
        r.status = StsRecordResult::Status::Invalid;
        r.error = error;
        return r;
    }
    r.status = StsRecordResult::Status::Ok;
    return r;
}

} // namespace rd::mtasts
