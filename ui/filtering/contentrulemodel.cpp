#include "filtering/contentrulemodel.h"

#include <QColor>

namespace rd::ui {

using rd::config::ContentRule;
using rd::config::RuleAction;
using rd::config::RuleMatch;
using rd::config::RuleTarget;

ContentRuleModel::ContentRuleModel(QObject *parent)
    : PolicyListModel(parent)
{
}

int ContentRuleModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString ContentRuleModel::targetLabel(RuleTarget target)
{
    switch (target) {
    case RuleTarget::Sender: return tr("Envelope sender");
    case RuleTarget::Recipient: return tr("Envelope recipient");
    case RuleTarget::Header: return tr("Header field");
    case RuleTarget::Body: return tr("Body text");
    case RuleTarget::Attachment: return tr("Attachment file name");
    case RuleTarget::Size: return tr("Message size");
    }
    return {};
}

QString ContentRuleModel::matchLabel(RuleMatch match)
{
    switch (match) {
    case RuleMatch::Contains: return tr("contains");
    case RuleMatch::Regex: return tr("matches the regular expression");
    case RuleMatch::Address: return tr("is one of the addresses");
    case RuleMatch::Domain: return tr("is in one of the domains");
    case RuleMatch::Extension: return tr("has one of the extensions");
    case RuleMatch::Greater: return tr("is larger than (octets)");
    }
    return {};
}

QString ContentRuleModel::actionLabel(RuleAction action)
{
    switch (action) {
    case RuleAction::Reject: return tr("Reject (550 5.7.1)");
    case RuleAction::Hold: return tr("Hold in the queue for review");
    case RuleAction::AddHeader: return tr("Accept and add a header");
    case RuleAction::Accept: return tr("Accept, skip the later rules");
    }
    return {};
}

QList<RuleMatch> ContentRuleModel::matchesFor(RuleTarget target)
{
    switch (target) {
    case RuleTarget::Sender:
    case RuleTarget::Recipient: return {RuleMatch::Domain, RuleMatch::Address, RuleMatch::Regex};
    case RuleTarget::Header:
    case RuleTarget::Body: return {RuleMatch::Contains, RuleMatch::Regex};
    case RuleTarget::Attachment: return {RuleMatch::Extension, RuleMatch::Regex};
    case RuleTarget::Size: return {RuleMatch::Greater};
    }
    return {};
}

QString ContentRuleModel::appliesTo(const ContentRule &r)
{
    if (r.target == RuleTarget::Header)
        return tr("%1 header").arg(r.field.trimmed().isEmpty() ? tr("(no field)") : r.field.trimmed());
    return targetLabel(r.target);
}

QString ContentRuleModel::describe(const ContentRule &r)
{
    QString action = actionLabel(r.action);
    if (r.action == RuleAction::AddHeader && !r.actionArg.trimmed().isEmpty())
        action = tr("accept and add \u201c%1\u201d").arg(r.actionArg.trimmed());
    return tr("If the %1 %2 %3: %4")
        .arg(appliesTo(r).toLower(), matchLabel(r.match), r.pattern.trimmed(), action.toLower());
}

QString ContentRuleModel::uniqueName(const QString &base, int except) const
{
    auto used = [this, except](const QString &name) {
        for (int i = 0; i < rowCount(); ++i) {
            if (i != except && item(i).name.trimmed().compare(name, Qt::CaseInsensitive) == 0)
                return true;
        }
        return false;
    };
    if (!used(base))
        return base;
    for (int n = 2;; ++n) {
        const QString candidate = QStringLiteral("%1 %2").arg(base).arg(n);
        if (!used(candidate))
            return candidate;
    }
}

QStringList ContentRuleModel::validate(const QList<ContentRule> &items) const
{
    return rd::config::validateContentRules(items);
}

QString ContentRuleModel::errorPrefix(int row, const ContentRule &r) const
{
    const QString name = r.name.trimmed();
    return QStringLiteral("content rule %1 (%2): ").arg(row + 1).arg(name.isEmpty() ? QStringLiteral("no name") : name);
}

int ContentRuleModel::columnForError(const QString &text) const
{
    if (text.startsWith(QLatin1String("The name")) || text.startsWith(QLatin1String("Another rule")))
        return Name;
    if (text.contains(QLatin1String("cannot be matched")))
        return Match;
    if (text.contains(QLatin1String("header field name")))
        return Target;
    if (text.startsWith(QLatin1String("The header to add")))
        return Action;
    return Pattern;
}

QVariant ContentRuleModel::cellData(const ContentRule &r, int column, int role) const
{
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case Name: return r.name;
        case Target: return appliesTo(r);
        case Match: return matchLabel(r.match);
        case Pattern: return r.pattern;
        case Action:
            return r.action == RuleAction::AddHeader ? tr("Add %1").arg(r.actionArg.trimmed()) : actionLabel(r.action);
        }
        return {};
    case Qt::CheckStateRole:
        return column == Enabled ? QVariant(r.enabled ? Qt::Checked : Qt::Unchecked) : QVariant();
    case Qt::ToolTipRole: return describe(r) + (r.enabled ? QString() : tr(" (disabled)"));
    case Qt::ForegroundRole: return r.enabled ? QVariant() : QVariant(QColor(Qt::gray));
    }
    return {};
}

bool ContentRuleModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (!index.isValid() || index.column() != Enabled || role != Qt::CheckStateRole)
        return false;
    ContentRule r = item(index.row());
    r.enabled = value.toInt() == Qt::Checked;
    return setItem(index.row(), r);
}

Qt::ItemFlags ContentRuleModel::flags(const QModelIndex &index) const
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::ParentIsInvalid))
        return Qt::NoItemFlags;
    const Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    return index.column() == Enabled ? f | Qt::ItemIsUserCheckable : f;
}

QString ContentRuleModel::columnTitle(int column) const
{
    switch (column) {
    case Enabled: return tr("On");
    case Name: return tr("Name");
    case Target: return tr("Looks at");
    case Match: return tr("Match");
    case Pattern: return tr("Pattern");
    case Action: return tr("Action");
    }
    return {};
}

QString ContentRuleModel::columnTip(int column) const
{
    switch (column) {
    case Enabled: return tr("Only enabled rules are checked");
    case Name: return tr("Named in the reply and in the log");
    case Target: return tr("Envelope addresses are checked at MAIL/RCPT, the rest after DATA");
    case Pattern: return tr("Matching is case-insensitive");
    case Action: return tr("The first matching enabled rule decides");
    }
    return {};
}

QList<ContentRulePreset> ContentRulePresets::all()
{
    QList<ContentRulePreset> out;
    ContentRule exe;
    exe.name = tr("Executable attachments");
    exe.target = RuleTarget::Attachment;
    exe.match = RuleMatch::Extension;
    exe.pattern = QStringLiteral("exe,scr,com,pif,bat,cmd,vbs,vbe,js,jse,wsf,wsh,hta,msi,ps1,jar,lnk,iso,img");
    exe.action = RuleAction::Reject;
    out << ContentRulePreset{tr("Reject executable attachments (exe, scr, js, vbs, iso, \u2026)"),
                             tr("Programs and scripts are the classic malware carriers. File names are read "
                                "from every MIME part, nested multiparts and encoded names included; the "
                                "inside of archives (zip) is not opened."),
                             exe};
    ContentRule macro;
    macro.name = tr("Macro-enabled Office files");
    macro.target = RuleTarget::Attachment;
    macro.match = RuleMatch::Extension;
    macro.pattern = QStringLiteral("docm,dotm,xlsm,xltm,xlam,pptm,potm,ppam,ppsm");
    macro.action = RuleAction::Hold;
    out << ContentRulePreset{tr("Hold macro-enabled Office files for review"),
                             tr("Office documents with macros (docm, xlsm, pptm, \u2026) wait in the queue until "
                                "an admin releases them."),
                             macro};
    ContentRule big;
    big.name = tr("Messages over 25 MB");
    big.target = RuleTarget::Size;
    big.match = RuleMatch::Greater;
    big.pattern = QString::number(25 * 1024 * 1024);
    big.action = RuleAction::Hold;
    out << ContentRulePreset{tr("Hold messages larger than 25 MB"),
                             tr("Most receivers (Gmail, Microsoft 365 by default) refuse messages over 25 MB; "
                                "holding them lets an admin decide instead of waiting for a bounce."),
                             big};
    ContentRule tag;
    tag.name = tr("Tag suspicious subjects");
    tag.target = RuleTarget::Header;
    tag.field = QStringLiteral("Subject");
    tag.match = RuleMatch::Regex;
    tag.pattern = QStringLiteral("\\b(invoice|payment|password)\\b.*\\b(urgent|overdue|expire[sd]?)\\b");
    tag.action = RuleAction::AddHeader;
    tag.actionArg = QStringLiteral("X-RelayDesk-Suspicious: subject");
    out << ContentRulePreset{tr("Tag phishing-like subjects with a header"),
                             tr("Adds X-RelayDesk-Suspicious so the mail client's rules can flag the message."),
                             tag};
    return out;
}

} // namespace rd::ui
