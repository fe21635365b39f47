#include "tlsrpt/reportbuilder.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>

#include <array>
#include <tuple>

namespace rd::tlsrpt {

namespace {

QString isoUtc(const QDateTime &t)
{
    return t.toUTC().toString(QStringLiteral("yyyy-MM-ddTHH:mm:ssZ"));
}

quint32 crc32(const QByteArray &data)
{
    static const std::array<quint32, 256> table = [] {
        std::array<quint32, 256> t{};
        for (quint32 i = 0; i < 256; ++i) {
            quint32 c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    quint32 c = 0xFFFFFFFFu;
    for (char ch : data)
        c = table[(c ^ quint8(ch)) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

void putLe32(QByteArray &out, quint32 v)
{
    for (int i = 0; i < 4; ++i)
        out.append(char((v >> (8 * i)) & 0xFF));
}

} // namespace

QByteArray buildReportJson(const QList<ResultRow> &rows, const ReportMeta &meta)
{
    struct FailureKey {
        QString result, ip, mx;
        bool operator<(const FailureKey &o) const
        {
            return std::tie(result, ip, mx) < std::tie(o.result, o.ip, o.mx);
        }
    };
    struct PolicyAgg {
        QString type;
        QString policy;
        QStringList mxHosts;
        qint64 success = 0;
        qint64 failure = 0;
        QMap<FailureKey, qint64> failures;
    };
    QMap<QPair<QString, QString>, PolicyAgg> policies; // (type, policy) -> aggregate, sorted
    const QString domain = meta.policyDomain.toLower();
    for (const ResultRow &r : rows) {
        if (r.domain.toLower() != domain)
            continue;
        PolicyAgg &p = policies[qMakePair(r.policyType, r.policy)];
        p.type = r.policyType;
        p.policy = r.policy;
        if (!r.mxHost.isEmpty() && !p.mxHosts.contains(r.mxHost))
            p.mxHosts << r.mxHost;
        if (r.result == QLatin1String("success")) {
            p.success += std::max<qint64>(1, r.detail.toLongLong());
        } else {
            ++p.failure;
            const QString ip = r.detail.section(QLatin1Char('\n'), 0, 0);
            ++p.failures[FailureKey{r.result, ip, r.mxHost}];
        }
    }
    QJsonArray list;
    for (const PolicyAgg &p : std::as_const(policies)) {
        QJsonObject policy;
        policy.insert(QStringLiteral("policy-type"), p.type);
        QJsonArray strings;
        QJsonArray mx;
        if (!p.policy.isEmpty()) {
            for (const QString &s : p.policy.split(QLatin1Char('\n'))) {
                strings.append(s);
                if (p.type == QLatin1String("sts") && s.startsWith(QLatin1String("mx:")))
                    mx.append(s.mid(3).trimmed());
            }
        }
        if (p.type != QLatin1String("no-policy-found"))
            policy.insert(QStringLiteral("policy-string"), strings);
        policy.insert(QStringLiteral("policy-domain"), domain);
        if (p.type == QLatin1String("tlsa")) {
            for (const QString &h : p.mxHosts)
                mx.append(h);
        }
        if (!mx.isEmpty())
            policy.insert(QStringLiteral("mx-host"), mx);
        QJsonObject summary;
        summary.insert(QStringLiteral("total-successful-session-count"), p.success);
        summary.insert(QStringLiteral("total-failure-session-count"), p.failure);
        QJsonObject entry;
        entry.insert(QStringLiteral("policy"), policy);
        entry.insert(QStringLiteral("summary"), summary);
        if (!p.failures.isEmpty()) {
            QJsonArray details;
            for (auto it = p.failures.cbegin(); it != p.failures.cend(); ++it) {
                QJsonObject d;
                d.insert(QStringLiteral("result-type"), it.key().result);
                if (!it.key().ip.isEmpty())
                    d.insert(QStringLiteral("receiving-ip"), it.key().ip);
                if (!it.key().mx.isEmpty())
                    d.insert(QStringLiteral("receiving-mx-hostname"), it.key().mx);
                d.insert(QStringLiteral("failed-session-count"), it.value());
                details.append(d);
            }
            entry.insert(QStringLiteral("failure-details"), details);
        }
        list.append(entry);
    }
    QJsonObject range;
    range.insert(QStringLiteral("start-datetime"), isoUtc(meta.start));
    range.insert(QStringLiteral("end-datetime"), isoUtc(meta.end.addSecs(-1)));
    QJsonObject root;
    root.insert(QStringLiteral("organization-name"), meta.organization);
    root.insert(QStringLiteral("date-range"), range);
    root.insert(QStringLiteral("contact-info"), meta.contact);
    root.insert(QStringLiteral("report-id"), meta.reportId);
    root.insert(QStringLiteral("policies"), list);
    return QJsonDocument(root).toJson(QJsonDocument::Compact);
}

QByteArray gzip(const QByteArray &data)
{
    // qCompress: 4-byte big-endian length, then a zlib stream (2-byte header,
    // raw deflate, 4-byte Adler-32). gzip wants the raw deflate part.
    const QByteArray z = qCompress(data, 9);
    if (z.size() < 4 + 2 + 4)
        return QByteArray();
    const QByteArray deflate = z.mid(6, z.size() - 6 - 4);
    QByteArray out;
    out.append("\x1f\x8b\x08\x00", 4); // magic, CM=deflate, no flags
    putLe32(out, 0);                    // MTIME unknown
    out.append("\x02\xff", 2);          // XFL=max compression, OS unknown
    out.append(deflate);
    putLe32(out, crc32(data));
    putLe32(out, quint32(data.size()));
    return out;
}

QString reportFileName(const QString &submitter, const ReportMeta &meta)
{
    return QStringLiteral("%1!%2!%3!%4!%5.json.gz")
        .arg(submitter, meta.policyDomain)
        .arg(meta.start.toSecsSinceEpoch())
        .arg(meta.end.toSecsSinceEpoch())
        .arg(meta.reportId);
}

QByteArray buildReportMail(const QString &from, const QString &to, const QString &submitter, const ReportMeta &meta,
                           const QByteArray &gzippedJson, const QString &messageIdDomain)
{
    const QByteArray boundary = "tlsrpt-" + QUuid::createUuid().toByteArray(QUuid::Id128);
    const QString file = reportFileName(submitter, meta);
    QByteArray m;
    m += "From: " + from.toUtf8() + "\r\n";
    m += "To: " + to.toUtf8() + "\r\n";
    m += "Subject: Report Domain: " + meta.policyDomain.toUtf8() + " Submitter: " + submitter.toUtf8() +
         " Report-ID: <" + meta.reportId.toUtf8() + ">\r\n";
    m += "Date: " + QDateTime::currentDateTimeUtc().toString(Qt::RFC2822Date).toUtf8() + "\r\n";
    m += "Message-ID: <" + meta.reportId.toUtf8() + '@' + messageIdDomain.toUtf8() + ">\r\n";
    m += "TLS-Report-Domain: " + meta.policyDomain.toUtf8() + "\r\n";
    m += "TLS-Report-Submitter: " + submitter.toUtf8() + "\r\n";
    m += "MIME-Version: 1.0\r\n";
    m += "Content-Type: multipart/report; report-type=\"tlsrpt\"; boundary=\"" + boundary + "\"\r\n\r\n";
    m += "--" + boundary + "\r\n";
    m += "Content-Type: text/plain; charset=us-ascii\r\n\r\n";
    m += "This is an aggregate TLS report from " + submitter.toUtf8() + " for " + meta.policyDomain.toUtf8() +
         " (RFC 8460).\r\n\r\n";
    m += "--" + boundary + "\r\n";
    m += "Content-Type: application/tlsrpt+gzip\r\n";
    m += "Content-Transfer-Encoding: base64\r\n";
    m += "Content-Disposition: attachment; filename=\"" + file.toUtf8() + "\"\r\n\r\n";
    const QByteArray b64 = gzippedJson.toBase64();
    for (qsizetype i = 0; i < b64.size(); i += 76)
        m += b64.mid(i, 76) + "\r\n";
    m += "\r\n--" + boundary + "--\r\n";
    return m;
}

QList<ResultRow> loadRows(QSqlDatabase &db, const QString &domain, qint64 startMs, qint64 endMs, QString *error)
{
    QList<ResultRow> out;
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT ts, domain, policy_type, policy, mx_host, result, detail FROM tls_results"
                             " WHERE domain = ? AND ts >= ? AND ts < ? ORDER BY ts"));
    q.addBindValue(domain.toLower());
    q.addBindValue(startMs);
    q.addBindValue(endMs);
    if (!q.exec()) {
        if (error)
            *error = q.lastError().text();
        return out;
    }
    while (q.next()) {
        ResultRow r;
        r.tsMs = q.value(0).toLongLong();
        r.domain = q.value(1).toString();
        r.policyType = q.value(2).toString();
        r.policy = q.value(3).toString();
        r.mxHost = q.value(4).toString();
        r.result = q.value(5).toString();
        r.detail = q.value(6).toString();
        out << r;
    }
    return out;
}

QStringList reportDomains(QSqlDatabase &db, qint64 startMs, qint64 endMs, QString *error)
{
    QStringList out;
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT DISTINCT domain FROM tls_results WHERE ts >= ? AND ts < ? ORDER BY domain"));
    q.addBindValue(startMs);
    q.addBindValue(endMs);
    if (!q.exec()) {
        if (error)
            *error = q.lastError().text();
        return out;
    }
    while (q.next())
        out << q.value(0).toString();
    return out;
}

} // namespace rd::tlsrpt
