#include "mime/mimeparser.h"

#include <cstring>
#include "util/textchars.h"

namespace rd::mime {

namespace {
using util::isWsp;

bool isIdentityEncoding(const QByteArray &cte)
{
    return cte.isEmpty() || cte == "7bit" || cte == "8bit" || cte == "binary";
}

class Parser
{
public:
    Parser(const QByteArray &source, const MimeLimits &limits)
        : m_src(source.constData()), m_n(source.size()), m_limits(limits)
    {
        m_msg.source = source;
        MimePart root;
        m_msg.parts.append(root);
        m_open.append(Open());
    }

    MimeMessage run();

private:
    // A part whose end has not been seen yet (the chain from the message to
    // the innermost part being read).
    struct Open {
        int part = 0;
        bool inHeaders = true;    // still reading its header section
        bool active = false;      // a multipart whose boundary is being looked for
        bool sawDelimiter = false;
        bool closed = false;      // its close delimiter was seen (epilogue now)
        QByteArray boundary;
    };

    void defect(int part, const QString &text) { m_msg.defects.append(MimeDefect{part, text}); }
    void headerLine(qsizetype pos, qsizetype contentEnd, qsizetype next, bool *reprocess);
    void finishHeaders(qsizetype headerEnd, qsizetype bodyBegin);
    void applyFields(int index);
    bool matchBoundary(qsizetype pos, qsizetype contentEnd, int *openIndex, bool *close) const;
    void closeAbove(int k, qsizetype end);
    bool startPart(int parent, qsizetype headerBegin);

    const char *m_src;
    qsizetype m_n;
    MimeLimits m_limits;
    MimeMessage m_msg;
    QList<Open> m_open;
    int m_activeCount = 0;
    bool m_stopped = false;
    bool m_firstLine = true;
};

MimeMessage Parser::run()
{
    qsizetype pos = 0;
    while (pos < m_n && !m_stopped) {
        const char *nl = static_cast<const char *>(std::memchr(m_src + pos, '\n', size_t(m_n - pos)));
        const qsizetype lineEnd = nl ? nl - m_src : m_n;
        const qsizetype next = nl ? lineEnd + 1 : m_n;
        qsizetype contentEnd = lineEnd;
        if (contentEnd > pos && m_src[contentEnd - 1] == '\r')
            --contentEnd;

        int k = -1;
        bool close = false;
        if (m_activeCount > 0 && contentEnd - pos >= 2 && m_src[pos] == '-' && m_src[pos + 1] == '-'
            && matchBoundary(pos, contentEnd, &k, &close)) {
            qsizetype end = pos;
            if (end > 0 && m_src[end - 1] == '\n')
                --end;
            if (end > 0 && m_src[end - 1] == '\r')
                --end;
            closeAbove(k, end);
            Open &o = m_open[k];
            MimePart &m = m_msg.parts[o.part];
            if (!o.sawDelimiter) {
                o.sawDelimiter = true;
                m.preamble = {m.body.begin, qMax(end, m.body.begin)};
            }
            if (close) {
                o.closed = true;
                o.active = false;
                --m_activeCount;
                m.epilogue = {next, next};
            } else if (!startPart(o.part, next)) {
                break;
            }
            pos = next;
            m_firstLine = false;
            continue;
        }

        if (m_open.last().inHeaders) {
            bool reprocess = false;
            headerLine(pos, contentEnd, next, &reprocess);
            m_firstLine = false;
            if (reprocess)
                continue;
        }
        pos = next;
    }
    // End of input: whatever is open ends here (a part still in its header
    // section has no body).
    closeAbove(-1, m_n);
    return std::move(m_msg);
}

void Parser::headerLine(qsizetype pos, qsizetype contentEnd, qsizetype next, bool *reprocess)
{
    const int index = m_open.last().part;
    MimePart &part = m_msg.parts[index];
    if (contentEnd == pos) {
        finishHeaders(pos, next);
        return;
    }
    const QByteArrayView line(m_src + pos, contentEnd - pos);
    if (isWsp(line[0])) {
        if (part.fields.isEmpty())
            defect(index, QStringLiteral("continuation line without a header field"));
        else
            part.fields.last().value.append(line.data(), line.size());
        return;
    }
    const qsizetype colon = line.indexOf(':');
    QByteArrayView name = colon > 0 ? line.first(colon) : QByteArrayView();
    while (!name.isEmpty() && isWsp(name.back()))
        name.chop(1);
    if (isFieldName(name)) {
        QByteArrayView value = line.sliced(colon + 1);
        while (!value.isEmpty() && isWsp(value.front()))
            value = value.sliced(1);
        part.fields.append(HeaderField{name.toByteArray(), value.toByteArray()});
        return;
    }
    if (index == 0 && m_firstLine && line.startsWith("From "))
        return; // an mbox separator line
    defect(index, QStringLiteral("a line that is not a header field ends the header section"));
    finishHeaders(pos, pos);
    *reprocess = true;
}

void Parser::applyFields(int index)
{
    MimePart &part = m_msg.parts[index];
    for (HeaderField &f : part.fields)
        f.value = f.value.trimmed();
    const bool inDigest = part.parent >= 0 && m_msg.parts.at(part.parent).mediaType() == "multipart/digest";
    if (inDigest) {
        part.type = "message";
        part.subtype = "rfc822";
    }
    int contentTypes = 0;
    for (const HeaderField &f : part.fields) {
        const QByteArrayView name = f.name;
        if (name.compare("Content-Type", Qt::CaseInsensitive) == 0) {
            if (++contentTypes > 1) {
                defect(index, QStringLiteral("more than one Content-Type field (the first counts)"));
                continue;
            }
            const StructuredValue v = parseStructuredValue(f.value, true);
            for (const QString &d : v.defects)
                defect(index, d);
            part.typeParams = v.params;
            if (!v.value.isEmpty()) {
                const qsizetype slash = v.value.indexOf('/');
                part.type = v.value.left(slash);
                part.subtype = v.value.mid(slash + 1);
            } else {
                part.type = "text";
                part.subtype = "plain";
            }
        } else if (name.compare("Content-Disposition", Qt::CaseInsensitive) == 0 && part.disposition.isEmpty()) {
            const StructuredValue v = parseStructuredValue(f.value, false);
            for (const QString &d : v.defects)
                defect(index, d);
            part.disposition = v.value;
            part.dispositionParams = v.params;
        } else if (name.compare("Content-Transfer-Encoding", Qt::CaseInsensitive) == 0
                   && part.transferEncoding.isEmpty()) {
            part.transferEncoding = parseStructuredValue(f.value, false).value;
        }
    }
}

void Parser::finishHeaders(qsizetype headerEnd, qsizetype bodyBegin)
{
    Open &o = m_open.last();
    const int index = o.part;
    o.inHeaders = false;
    applyFields(index);
    MimePart &part = m_msg.parts[index];
    part.header.end = qMax(headerEnd, part.header.begin);
    part.body = {bodyBegin, bodyBegin};

    if (part.isMultipart()) {
        QByteArray boundary;
        for (const MimeParam &p : part.typeParams) {
            if (p.name == "boundary") {
                boundary = p.raw;
                break;
            }
        }
        if (boundary.isEmpty()) {
            defect(index, QStringLiteral("multipart without a boundary parameter: read as one body"));
        } else if (part.depth >= m_limits.maxDepth) {
            defect(index, QStringLiteral("nesting deeper than %1 parts: not split further").arg(m_limits.maxDepth));
            m_msg.complete = false;
        } else {
            o.active = true;
            o.boundary = boundary;
            ++m_activeCount;
            part.preamble = {bodyBegin, bodyBegin};
        }
    } else if (part.isMessage()) {
        if (!isIdentityEncoding(part.transferEncoding)) {
            defect(index, QStringLiteral("%1 with transfer encoding %2: not parsed as a message")
                              .arg(QString::fromLatin1(part.mediaType()), QString::fromLatin1(part.transferEncoding)));
        } else if (part.depth >= m_limits.maxDepth) {
            defect(index, QStringLiteral("nesting deeper than %1 parts: not split further").arg(m_limits.maxDepth));
            m_msg.complete = false;
        } else {
            startPart(index, bodyBegin);
        }
    }
}

bool Parser::matchBoundary(qsizetype pos, qsizetype contentEnd, int *openIndex, bool *close) const
{
    const QByteArrayView line(m_src + pos + 2, contentEnd - pos - 2);
    for (int k = m_open.size() - 1; k >= 0; --k) {
        const Open &o = m_open.at(k);
        if (!o.active)
            continue;
        if (!line.startsWith(o.boundary))
            continue;
        QByteArrayView rest = line.sliced(o.boundary.size());
        bool isClose = false;
        if (rest.startsWith("--")) {
            isClose = true;
            rest = rest.sliced(2);
        }
        bool blank = true;
        for (char c : rest)
            blank = blank && isWsp(c);
        if (!blank)
            continue;
        *openIndex = k;
        *close = isClose;
        return true;
    }
    return false;
}

void Parser::closeAbove(int k, qsizetype end)
{
    // An empty inner part can start after `end` (its blank line's CRLF is
    // the one before the boundary): enclosing parts then end where it does.
    while (m_open.size() > k + 1) {
        const Open o = m_open.takeLast();
        MimePart &part = m_msg.parts[o.part];
        if (o.inHeaders) {
            if (o.part != 0)
                defect(o.part, QStringLiteral("the part ends inside its header section"));
            applyFields(o.part);
            part.header.end = qMax(qMin(end, m_n), part.header.begin);
            part.body = {part.header.end, part.header.end};
        }
        part.body.end = qMax(end, part.body.begin);
        end = part.body.end;
        if (o.active) {
            --m_activeCount;
            part.epilogue = {part.body.end, part.body.end};
            if (o.sawDelimiter) {
                defect(o.part, QStringLiteral("multipart without its close boundary line"));
            } else {
                defect(o.part, QStringLiteral("multipart without any boundary line: no parts"));
                part.preamble = {part.body.begin, part.body.end};
            }
        }
        if (o.closed) {
            part.epilogue.begin = qMin(part.epilogue.begin, part.body.end);
            part.epilogue.end = qMax(end, part.epilogue.begin);
        }
    }
}

bool Parser::startPart(int parent, qsizetype headerBegin)
{
    if (m_msg.parts.size() >= m_limits.maxParts) {
        defect(parent, QStringLiteral("more than %1 parts: the rest of the message is not split into parts")
                           .arg(m_limits.maxParts));
        m_msg.complete = false;
        m_stopped = true;
        return false;
    }
    MimePart child;
    child.parent = parent;
    child.depth = m_msg.parts.at(parent).depth + 1;
    child.header = {headerBegin, headerBegin};
    child.body = {headerBegin, headerBegin};
    const int index = int(m_msg.parts.size());
    m_msg.parts.append(child);
    m_msg.parts[parent].children.append(index);
    Open o;
    o.part = index;
    m_open.append(o);
    return true;
}

} // namespace

MimeMessage parseMime(const QByteArray &message, const MimeLimits &limits)
{
    MimeLimits l = limits;
    l.maxDepth = qMax(0, l.maxDepth);
    l.maxParts = qMax(1, l.maxParts);
    Parser parser(message, l);
    return parser.run();
}

} // namespace rd::mime
