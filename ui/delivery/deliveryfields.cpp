#include "delivery/deliveryfields.h"

#include "config/settings.h"
#include "pickup/addresslist.h"

#include <QCoreApplication>
#include <QDir>
#include <QStringList>
#include <QUrl>

namespace rd::ui {

IisRetryFields retryFieldsFromSchedule(const QString &schedule)
{
    QString error;
    const QVector<int> s = rd::config::parseSchedule(schedule, &error);
    IisRetryFields f;
    if (s.isEmpty() || !error.isEmpty())
        return f;
    auto minutes = [&](int i) { return std::max(1, (s.value(std::min<int>(i, int(s.size()) - 1)) + 59) / 60); };
    f.first = minutes(0);
    f.second = minutes(1);
    f.third = minutes(2);
    f.subsequent = minutes(int(s.size()) - 1); // IIS's "subsequent" repeats, as our last value does
    f.stepsInSchedule = int(s.size());
    return f;
}

QString scheduleFromRetryFields(const IisRetryFields &f)
{
    return QStringList{QString::number(f.first * 60), QString::number(f.second * 60), QString::number(f.third * 60),
                       QString::number(f.subsequent * 60)}
        .join(QLatin1Char(','));
}

QString checkHostName(const QString &name)
{
    const QString n = name.trimmed();
    if (n.isEmpty())
        return QCoreApplication::translate("DeliveryPanel", "The host name is empty: it is the name in EHLO and "
                                                            "Received headers (like mail.example.com).");
    return checkDomainOrEmpty(n);
}

QString checkDomainOrEmpty(const QString &name)
{
    const QString n = name.trimmed();
    if (n.isEmpty())
        return {};
    const QString ace = QString::fromLatin1(QUrl::toAce(n));
    const QStringList labels = ace.split(QLatin1Char('.'));
    bool ok = !ace.isEmpty() && ace.size() <= 253;
    for (const QString &l : labels) {
        ok = ok && !l.isEmpty() && l.size() <= 63 && !l.startsWith(QLatin1Char('-')) && !l.endsWith(QLatin1Char('-'));
        for (QChar c : l)
            ok = ok && c.unicode() < 128 && (c.isLetterOrNumber() || c == QLatin1Char('-'));
    }
    return ok ? QString()
              : QCoreApplication::translate("DeliveryPanel", "\u201c%1\u201d is not a domain name (like example.com).")
                    .arg(n);
}

QString checkAddressOrEmpty(const QString &addr)
{
    const QString a = addr.trimmed();
    if (a.isEmpty())
        return {};
    const rd::pickup::AddressListResult r = rd::pickup::parseAddressList(a.toUtf8());
    if (!r.ok() || r.mailboxes.size() != 1 || r.mailboxes.first().address.isEmpty())
        return QCoreApplication::translate("DeliveryPanel",
                                           "\u201c%1\u201d is not one mail address (like postmaster@example.com)%2")
            .arg(a, r.ok() ? QString() : QStringLiteral(": ") + r.error);
    const QByteArray box = r.mailboxes.first().address;
    const QString domain = QString::fromUtf8(box.mid(box.lastIndexOf('@') + 1));
    if (!domain.startsWith(QLatin1Char('[')) && !checkDomainOrEmpty(domain).isEmpty())
        return QCoreApplication::translate("DeliveryPanel", "\u201c%1\u201d has no valid domain after the @.").arg(a);
    return {};
}

QString checkFolderPath(const QString &path, bool emptyAllowed)
{
    const QString p = path.trimmed();
    if (p.isEmpty())
        return emptyAllowed ? QString()
                            : QCoreApplication::translate("DeliveryPanel", "No folder is given.");
    if (QDir::isRelativePath(p))
        return QCoreApplication::translate("DeliveryPanel",
                                           "\u201c%1\u201d is not a full path (like C:\\Inetpub\\mailroot\\Pickup "
                                           "or /srv/mail/pickup).")
            .arg(p);
    return {};
}

QString formatMinutes(qint64 minutes)
{
    if (minutes <= 0)
        return QCoreApplication::translate("DeliveryPanel", "never");
    const qint64 days = minutes / 1440, hours = (minutes % 1440) / 60, mins = minutes % 60;
    QStringList parts;
    if (days)
        parts << (days == 1 ? QCoreApplication::translate("DeliveryPanel", "1 day")
                            : QCoreApplication::translate("DeliveryPanel", "%1 days").arg(days));
    if (hours)
        parts << QCoreApplication::translate("DeliveryPanel", "%1 h").arg(hours);
    if (mins)
        parts << QCoreApplication::translate("DeliveryPanel", "%1 min").arg(mins);
    return parts.join(QLatin1Char(' '));
}

} // namespace rd::ui
