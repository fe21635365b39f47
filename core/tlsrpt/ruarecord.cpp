#include "tlsrpt/ruarecord.h"

namespace rd::tlsrpt {

namespace {

QByteArray trimWsp(const QByteArray &s)
{
    qsizetype b = 0, e = s.size();
    while (b < e && (s.at(b) == ' ' || s.at(b) == '\t'))
        ++b;
    while (e > b && (s.at(e - 1) == ' ' || s.at(e - 1) == '\t'))
        --e;
    return s.mid(b, e - b);
}

} // namespace

QStringList RuaRecord::mailtoAddresses() const
{
    QStringList out;
    for (const QUrl &u : rua) {
        if (u.scheme() == QLatin1String("mailto"))
            out << u.path(QUrl::FullyDecoded);
    }
    return out;
}

bool parseRuaRecord(const QByteArray &text, RuaRecord *out, QString *error)
{
    const auto fail = [error](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    const QList<QByteArray> fields = text.split(';');
    RuaRecord r;
    bool haveRua = false;
    for (qsizetype i = 0; i < fields.size(); ++i) {
        const QByteArray f = trimWsp(fields.at(i));
        if (f.isEmpty()) {
            if (i == fields.size() - 1 && i > 0)
                break; // trailing ";"
            return fail(QStringLiteral("empty field"));
        }
        const qsizetype eq = f.indexOf('=');
        if (eq <= 0)
            return fail(QStringLiteral("field without '='"));
        const QByteArray key = trimWsp(f.left(eq));
        const QByteArray value = trimWsp(f.mid(eq + 1));
        if (i == 0) {
            if (key != "v" || value != "TLSRPTv1")
                return fail(QStringLiteral("first field must be v=TLSRPTv1"));
            continue;
        }
        if (key == "rua") {
            if (haveRua)
                return fail(QStringLiteral("rua given twice"));
            haveRua = true;
            // Commas and semicolons inside a URI are percent-encoded (3).
            for (const QByteArray &part : value.split(',')) {
                const QByteArray u = trimWsp(part);
                const QUrl url(QString::fromLatin1(u), QUrl::StrictMode);
                if (!url.isValid())
                    return fail(QStringLiteral("rua URI \"%1\" is not valid").arg(QString::fromLatin1(u)));
                if (url.scheme() == QLatin1String("mailto")) {
                    const QString addr = url.path(QUrl::FullyDecoded);
                    if (!addr.contains(QLatin1Char('@')) || addr.startsWith(QLatin1Char('@')) ||
                        addr.endsWith(QLatin1Char('@')))
                        return fail(QStringLiteral("rua mailto \"%1\" has no address").arg(QString::fromLatin1(u)));
                } else if (url.scheme() != QLatin1String("https") || url.host().isEmpty()) {
                    return fail(QStringLiteral("rua URI \"%1\" must be mailto: or https:").arg(QString::fromLatin1(u)));
                }
                r.rua << url;
            }
        }
        // Other fields: extensions, ignored.
    }
    if (!haveRua || r.rua.isEmpty())
        return fail(QStringLiteral("no rua field"));
    if (out)
        *out = r;
    return true;
}

bool selectRuaRecord(const QList<QByteArray> &texts, RuaRecord *out, QString *error)
{
    QList<QByteArray> candidates;
    for (const QByteArray &t : texts) {
        if (t.startsWith("v=TLSRPTv1"))
            candidates << t;
    }
    if (candidates.size() != 1) {
        if (error)
            *error = candidates.isEmpty() ? QStringLiteral("no v=TLSRPTv1 record")
                                          : QStringLiteral("%1 v=TLSRPTv1 records (exactly one allowed)").arg(candidates.size());
        return false;
    }
    return parseRuaRecord(candidates.first(), out, error);
}

} // namespace rd::tlsrpt
