#include "dnscheck/dnscheckreport.h"

#include <QHash>
#include <QJsonArray>
#include <QSet>

namespace rd::dnscheck {

QString statusName(Status s)
{
    switch (s) {
    case Status::Pass: return QStringLiteral("pass");
    case Status::Info: return QStringLiteral("info");
    case Status::Warn: return QStringLiteral("warn");
    case Status::Fail: return QStringLiteral("fail");
    }
    return QStringLiteral("info");
}

Status statusFromName(const QString &name)
{
    if (name == QLatin1String("pass"))
        return Status::Pass;
    if (name == QLatin1String("warn"))
        return Status::Warn;
    if (name == QLatin1String("fail"))
        return Status::Fail;
    return Status::Info;
}

Status Report::worst() const
{
    Status w = Status::Pass;
    for (const Finding &f : findings) {
        if (int(f.status) > int(w))
            w = f.status;
    }
    return w;
}

int Report::count(Status s) const
{
    int n = 0;
    for (const Finding &f : findings)
        n += f.status == s ? 1 : 0;
    return n;
}

QJsonObject Report::toJson() const
{
    QJsonObject o;
    o.insert(QStringLiteral("domain"), domain);
    o.insert(QStringLiteral("when"), when.toUTC().toString(Qt::ISODateWithMs));
    o.insert(QStringLiteral("duration_ms"), double(durationMs));
    QJsonArray arr;
    for (const Finding &f : findings) {
        QJsonObject j;
        j.insert(QStringLiteral("check"), f.check);
        j.insert(QStringLiteral("status"), statusName(f.status));
        j.insert(QStringLiteral("title"), f.title);
        if (!f.detail.isEmpty())
            j.insert(QStringLiteral("detail"), f.detail);
        if (!f.fixValue.isEmpty()) {
            j.insert(QStringLiteral("fix_name"), f.fixName);
            j.insert(QStringLiteral("fix_type"), f.fixType);
            j.insert(QStringLiteral("fix_value"), f.fixValue);
        }
        arr.append(j);
    }
    o.insert(QStringLiteral("findings"), arr);
    return o;
}

Report Report::fromJson(const QJsonObject &o)
{
    Report r;
    r.domain = o.value(QStringLiteral("domain")).toString();
    r.when = QDateTime::fromString(o.value(QStringLiteral("when")).toString(), Qt::ISODateWithMs);
    r.when.setTimeSpec(Qt::UTC);
    r.durationMs = qint64(o.value(QStringLiteral("duration_ms")).toDouble());
    for (const QJsonValue &v : o.value(QStringLiteral("findings")).toArray()) {
        const QJsonObject j = v.toObject();
        Finding f;
        f.check = j.value(QStringLiteral("check")).toString();
        f.status = statusFromName(j.value(QStringLiteral("status")).toString());
        f.title = j.value(QStringLiteral("title")).toString();
        f.detail = j.value(QStringLiteral("detail")).toString();
        f.fixName = j.value(QStringLiteral("fix_name")).toString();
        f.fixType = j.value(QStringLiteral("fix_type")).toString();
        f.fixValue = j.value(QStringLiteral("fix_value")).toString();
        r.findings << f;
    }
    return r;
}

QString Report::toText() const
{
    QString out;
    out += QStringLiteral("RelayDesk DNS checks for %1\n").arg(domain);
    out += QStringLiteral("Run: %1 UTC (%2 ms)\n").arg(when.toUTC().toString(QStringLiteral("yyyy-MM-dd hh:mm:ss"))).arg(durationMs);
    out += QStringLiteral("Result: %1 pass, %2 info, %3 warn, %4 fail\n")
               .arg(count(Status::Pass))
               .arg(count(Status::Info))
               .arg(count(Status::Warn))
               .arg(count(Status::Fail));
    QString group;
    for (const Finding &f : findings) {
        if (f.check != group) {
            group = f.check;
            out += QStringLiteral("\n== %1 ==\n").arg(group.toUpper());
        }
        out += QStringLiteral("[%1] %2\n").arg(statusName(f.status).toUpper(), f.title);
        if (!f.detail.isEmpty())
            out += QStringLiteral("    %1\n").arg(f.detail);
        if (!f.fixValue.isEmpty())
            out += QStringLiteral("    Publish: %1 %2 \"%3\"\n").arg(f.fixName, f.fixType, f.fixValue);
    }
    return out;
}

QStringList Report::changesSince(const Report &previous) const
{
    // Findings are matched by check and title; a title names its subject
    // ("SPF authorises 192.0.2.1"), and a subject's status lives in the title
    // prefix before " \u2014 " when the checker adds detail there.
    auto key = [](const Finding &f) { return f.check + QLatin1Char('|') + f.title.section(QStringLiteral(" \u2014 "), 0, 0); };
    QHash<QString, Status> before;
    for (const Finding &f : previous.findings)
        before.insert(key(f), f.status);
    QStringList out;
    QSet<QString> seen;
    for (const Finding &f : findings) {
        const QString k = key(f);
        seen.insert(k);
        const auto it = before.constFind(k);
        if (it == before.constEnd())
            out << QStringLiteral("new: [%1] %2").arg(statusName(f.status), f.title);
        else if (*it != f.status)
            out << QStringLiteral("was %1, now %2: %3").arg(statusName(*it), statusName(f.status), f.title);
    }
    for (const Finding &f : previous.findings) {
        if (!seen.contains(key(f)))
            out << QStringLiteral("gone: [%1] %2").arg(statusName(f.status), f.title);
    }
    return out;
}

} // namespace rd::dnscheck
