#include "policy/connectionadmission.h"

namespace rd::policy {

QString ruleRefusalText(const QString &ruleLabel)
{
    QString label;
    for (QChar c : ruleLabel.left(200))
        label += (c.unicode() >= 0x20 && c.unicode() < 0x7f) ? c : QLatin1Char('?');
    return QStringLiteral("Connection refused by rule '%1'").arg(label);
}

Admission admitConnection(const ConnectionControl &rules, const BanList *bans, const QHostAddress &client,
                          qint64 nowMs)
{
    Admission a;
    const ConnectionDecision d = rules.decide(client, nowMs);
    a.ruleLabel = d.label;
    if (d.denied()) {
        a.verdict = Admission::RefusedByRule;
        a.text = ruleRefusalText(d.label);
        return a;
    }
    if (d.allowed()) {
        a.allowRule = true;
        return a;
    }
    if (bans) {
        if (std::optional<Ban> b = bans->isBanned(client, nowMs)) {
            a.verdict = Admission::RefusedByBan;
            a.text = BanList::refusalText(*b, nowMs);
            a.ban = b;
        }
    }
    return a;
}

} // namespace rd::policy
