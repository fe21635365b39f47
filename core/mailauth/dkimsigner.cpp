#include "mailauth/dkimsigner.h"

#include "mailauth/dkimcanon.h"
#include "mailauth/dkimsignature.h"

#include <QDateTime>
#include "util/errorout.h"

namespace rd::mailauth {

namespace {
using util::setError;

constexpr qsizetype kMaxSignedLine = 76; // columns before CRLF

bool validLabelChars(const QString &s)
{
    if (s.isEmpty() || s.size() > 253 || s.startsWith(QLatin1Char('.')) || s.endsWith(QLatin1Char('.'))
        || s.contains(QStringLiteral("..")))
        return false;
    for (QChar c : s) {
        const char16_t u = c.unicode();
        const bool ok = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-'
                        || u == '.' || u == '_';
        if (!ok)
            return false;
    }
    return true;
}

// Builds a folded header field: pieces are appended on the current line, or
// on a new continuation line (CRLF SP) when they would pass kMaxSignedLine. Callers
// only break where RFC 6376 allows FWS.
class Folder {
public:
    explicit Folder(const QByteArray &start) : m_text(start)
    {
        const qsizetype lastBreak = start.lastIndexOf("\r\n");
        m_lineLen = lastBreak < 0 ? start.size() : start.size() - lastBreak - 2;
    }

    // `piece` after a space (or a fold).
    void word(const QByteArray &piece)
    {
        if (m_lineLen + 1 + piece.size() > kMaxSignedLine)
            fold();
        else
            put(" ");
        put(piece);
    }
    // `piece` glued to what precedes it unless the line is full (then folded).
    void glued(const QByteArray &piece)
    {
        if (m_lineLen + piece.size() > kMaxSignedLine)
            fold();
        put(piece);
    }
    // A long value cut into pieces that fill the lines.
    void filled(const QByteArray &value)
    {
        qsizetype pos = 0;
        while (pos < value.size()) {
            qsizetype room = kMaxSignedLine - m_lineLen;
            if (room <= 0) {
                fold();
                room = kMaxSignedLine - m_lineLen;
            }
            const QByteArray part = value.mid(pos, room);
            put(part);
            pos += part.size();
        }
    }
    const QByteArray &text() const { return m_text; }

private:
    void fold()
    {
        m_text += "\r\n ";
        m_lineLen = 1;
    }
    void put(const QByteArray &s)
    {
        m_text += s;
        m_lineLen += s.size();
    }

    QByteArray m_text;
    qsizetype m_lineLen = 0;
};

} // namespace

QByteArrayList DkimSignOptions::defaultHeaders()
{
    return {"From", "To", "Cc", "Subject", "Date", "Message-ID", "Reply-To", "In-Reply-To", "References",
            "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "List-Unsubscribe"};
}

QByteArray dkimSign(const QByteArray &message, const DkimKey &key, const DkimSignOptions &opt, QString *error)
{
    if (key.isNull()) {
        setError(error, QStringLiteral("no signing key"));
        return {};
    }
    if (key.algorithm == QLatin1String("rsa-sha256") && key.bits() < opt.minRsaBits) {
        setError(error, QStringLiteral("RSA key of %1 bits refused for signing (at least %2)")
                            .arg(key.bits())
                            .arg(opt.minRsaBits));
        return {};
    }
    if (!validLabelChars(opt.domain)) {
        setError(error, QStringLiteral("invalid signing domain '%1'").arg(opt.domain));
        return {};
    }
    if (!validLabelChars(opt.selector)) {
        setError(error, QStringLiteral("invalid selector '%1'").arg(opt.selector));
        return {};
    }
    const DkimMessage msg = splitDkimMessage(message);

    // h=: present headers, From/To/Subject once more than present.
    QList<QByteArray> names;
    QByteArrayList wanted = opt.headers;
    bool hasFromEntry = false;
    for (const QByteArray &w : wanted)
        hasFromEntry = hasFromEntry || dkimHeaderNameEquals(w, "from");
    if (!hasFromEntry)
        wanted.prepend("From");
    QList<QByteArray> seen;
    for (const QByteArray &w : wanted) {
        bool dup = false;
        for (const QByteArray &s : seen)
            dup = dup || dkimHeaderNameEquals(s, w);
        if (dup || w.isEmpty() || w.contains(':') || w.contains(' ') || w.contains(';'))
            continue;
        seen.append(w);
        qsizetype count = 0;
        for (const DkimHeaderField &f : msg.headers)
            count += dkimHeaderNameEquals(f.name, w) ? 1 : 0;
        const bool over = dkimHeaderNameEquals(w, "from") || dkimHeaderNameEquals(w, "to")
                          || dkimHeaderNameEquals(w, "subject");
        if (dkimHeaderNameEquals(w, "from") && count == 0) {
            setError(error, QStringLiteral("the message has no From header field"));
            return {};
        }
        for (qsizetype i = 0; i < count + (over ? 1 : 0); ++i)
            names.append(w);
    }

    qint64 t = opt.timestamp >= 0 ? opt.timestamp : QDateTime::currentSecsSinceEpoch();
    const DkimCanon hc = opt.relaxedHeaders ? DkimCanon::Relaxed : DkimCanon::Simple;
    const DkimCanon bc = opt.relaxedBody ? DkimCanon::Relaxed : DkimCanon::Simple;
    const QByteArray bodyHash = dkimBodyHash(msg.body, bc).value_or(QByteArray()).toBase64();

    Folder f("DKIM-Signature:");
    f.word("v=1;");
    f.word("a=" + key.algorithm.toLatin1() + ";");
    f.word(QByteArray("c=") + (opt.relaxedHeaders ? "relaxed" : "simple") + "/" + (opt.relaxedBody ? "relaxed" : "simple")
           + ";");
    f.word("d=" + opt.domain.toLatin1() + ";");
    f.word("s=" + opt.selector.toLatin1() + ";");
    if (!opt.identity.isEmpty()) {
        const QByteArray id = opt.identity.toLatin1();
        const qsizetype at = id.lastIndexOf('@');
        const QString idDomain = at < 0 ? QString() : QString::fromLatin1(id.mid(at + 1)).toLower();
        const QString d = opt.domain.toLower();
        if (at < 0 || (idDomain != d && !idDomain.endsWith(QLatin1Char('.') + d)) || id.contains(';')
            || id.contains(' ')) {
            setError(error, QStringLiteral("identity '%1' is not in the domain %2").arg(opt.identity, opt.domain));
            return {};
        }
        f.word("i=" + id + ";");
    }
    f.word("t=" + QByteArray::number(t) + ";");
    if (opt.expireAfterS > 0)
        f.word("x=" + QByteArray::number(t + opt.expireAfterS) + ";");
    for (qsizetype i = 0; i < names.size(); ++i) {
        const QByteArray piece = (i == 0 ? "h=" : "") + names[i] + (i + 1 == names.size() ? ";" : ":");
        if (i == 0)
            f.word(piece);
        else
            f.glued(piece);
    }
    f.word("bh=");
    f.filled(bodyHash + ";");
    f.word("b=");

    DkimHeaderField sigField;
    sigField.name = "DKIM-Signature";
    sigField.raw = f.text() + "\r\n";
    const qsizetype bStart = f.text().size();
    const QByteArray data = dkimHeaderData(msg, names, sigField, bStart, sigField.raw.size(), hc);
    QString signError;
    const QByteArray signature = key.sign(data, &signError);
    if (signature.isEmpty()) {
        setError(error, signError);
        return {};
    }
    Folder out(f.text());
    out.filled(signature.toBase64());
    return out.text() + "\r\n";
}

} // namespace rd::mailauth
