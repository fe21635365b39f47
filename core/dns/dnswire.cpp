#include "dns/dnswire.h"

#include <ares.h>

#include <algorithm>

namespace rd::dns::wire {

namespace {

class Reader {
public:
    Reader(const unsigned char *data, int length) : m_data(data), m_length(length) {}

    bool name(QString *out)
    {
        if (m_pos >= m_length)
            return false;
        char *s = nullptr;
        long used = 0;
        if (ares_expand_name(m_data + m_pos, m_data, m_length, &s, &used) != ARES_SUCCESS)
            return false;
        if (out) {
            *out = QString::fromUtf8(s);
            if (out->endsWith(QLatin1Char('.')))
                out->chop(1);
        }
        ares_free_string(s);
        if (used <= 0 || m_pos + used > m_length)
            return false;
        m_pos += int(used);
        return true;
    }
    bool u16(quint16 *v)
    {
        if (m_pos + 2 > m_length)
            return false;
        *v = quint16((m_data[m_pos] << 8) | m_data[m_pos + 1]);
        m_pos += 2;
        return true;
    }
    bool u32(quint32 *v)
    {
        if (m_pos + 4 > m_length)
            return false;
        *v = (quint32(m_data[m_pos]) << 24) | (quint32(m_data[m_pos + 1]) << 16)
            | (quint32(m_data[m_pos + 2]) << 8) | quint32(m_data[m_pos + 3]);
        m_pos += 4;
        return true;
    }
    bool skip(int n)
    {
        if (n < 0 || m_pos + n > m_length)
            return false;
        m_pos += n;
        return true;
    }
    int pos() const { return m_pos; }
    void seek(int pos) { m_pos = pos; }

private:
    const unsigned char *m_data;
    int m_length;
    int m_pos = 0;
};

// TTLs with the top bit set are treated as 0 (RFC 2181 8).
quint32 cleanTtl(quint32 ttl)
{
    return (ttl & 0x80000000u) ? 0 : ttl;
}

} // namespace

QList<quint32> Message::ttlsOf(int type) const
{
    QList<quint32> out;
    for (const Record &r : answers) {
        if (r.type == type)
            out.append(r.ttl);
    }
    return out;
}

std::optional<quint32> Message::minTtl() const
{
    std::optional<quint32> out;
    for (const Record &r : answers)
        out = out ? std::min(*out, r.ttl) : r.ttl;
    return out;
}

QString Message::canonicalName() const
{
    QString current = questionName;
    for (int step = 0; step < 16; ++step) {
        auto it = std::find_if(answers.cbegin(), answers.cend(), [&](const Record &r) {
            return r.type == TypeCNAME && r.owner.compare(current, Qt::CaseInsensitive) == 0;
        });
        if (it == answers.cend())
            break;
        current = it->target;
    }
    return current;
}

std::optional<Message> parseMessage(const unsigned char *data, int length)
{
    if (!data || length < 12)
        return std::nullopt;
    Reader r(data, length);
    quint16 id = 0, flags = 0, qd = 0, an = 0, ns = 0, ar = 0;
    if (!r.u16(&id) || !r.u16(&flags) || !r.u16(&qd) || !r.u16(&an) || !r.u16(&ns)
        || !r.u16(&ar))
        return std::nullopt;
    if (!(flags & 0x8000)) // QR: not a response
        return std::nullopt;
    Message m;
    m.rcode = flags & 0x000f;
    m.truncated = flags & 0x0200;
    m.authenticData = flags & 0x0020;
    m.answerCount = an;
    for (int i = 0; i < qd; ++i) {
        QString qname;
        quint16 qtype = 0, qclass = 0;
        if (!r.name(&qname) || !r.u16(&qtype) || !r.u16(&qclass))
            return std::nullopt;
        if (i == 0) {
            m.questionName = qname;
            m.questionType = qtype;
        }
    }
    for (int section = 0; section < 2; ++section) {
        const int count = section == 0 ? an : ns;
        for (int i = 0; i < count; ++i) {
            Record rec;
            quint16 type = 0, cls = 0, rdlen = 0;
            quint32 ttl = 0;
            if (!r.name(&rec.owner) || !r.u16(&type) || !r.u16(&cls) || !r.u32(&ttl)
                || !r.u16(&rdlen))
                return std::nullopt;
            rec.type = type;
            rec.rrClass = cls;
            rec.ttl = cleanTtl(ttl);
            const int rdata = r.pos();
            if (rdata + rdlen > length)
                return std::nullopt;
            if (section == 0) {
                if (type == TypeCNAME || type == TypePTR) {
                    if (!r.name(&rec.target) || r.pos() > rdata + rdlen)
                        return std::nullopt;
                } else if (type == TypeTLSA) {
                    rec.rdata = QByteArray(reinterpret_cast<const char *>(data + rdata), rdlen);
                }
                m.answers.append(rec);
            } else if (type == TypeSOA && !m.negativeTtl) {
                quint32 serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
                if (!r.name(nullptr) || !r.name(nullptr) || !r.u32(&serial) || !r.u32(&refresh)
                    || !r.u32(&retry) || !r.u32(&expire) || !r.u32(&minimum)
                    || r.pos() > rdata + rdlen)
                    return std::nullopt;
                m.negativeTtl = std::min(rec.ttl, cleanTtl(minimum));
            }
            r.seek(rdata);
            if (!r.skip(rdlen))
                return std::nullopt;
        }
    }
    return m;
}

} // namespace rd::dns::wire
