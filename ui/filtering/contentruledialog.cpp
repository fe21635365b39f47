#include "filtering/contentruledialog.h"

#include "filtering/contentrulemodel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QVBoxLayout>

#include <algorithm>

namespace rd::ui {

using rd::config::ContentRule;
using rd::config::RuleAction;
using rd::config::RuleMatch;
using rd::config::RuleTarget;

namespace {

const QList<RuleTarget> kTargets = {RuleTarget::Sender, RuleTarget::Recipient, RuleTarget::Header,
                                    RuleTarget::Body, RuleTarget::Attachment, RuleTarget::Size};
const QList<RuleAction> kActions = {RuleAction::Reject, RuleAction::Hold, RuleAction::AddHeader, RuleAction::Accept};

QString patternHint(RuleMatch m)
{
    switch (m) {
    case RuleMatch::Contains: return ContentRuleDialog::tr("Text to find, case-insensitive, e.g. unsubscribe now");
    case RuleMatch::Regex:
        return ContentRuleDialog::tr("A regular expression (Perl syntax), case-insensitive, e.g. "
                                     "\\b(viagra|casino)\\b");
    case RuleMatch::Address:
        return ContentRuleDialog::tr("Addresses separated by commas, e.g. billing@example.com, ceo@example.com");
    case RuleMatch::Domain:
        return ContentRuleDialog::tr("Domains separated by commas; each includes its subdomains, e.g. example.com");
    case RuleMatch::Extension:
        return ContentRuleDialog::tr("Extensions without dots, separated by commas, e.g. exe, js, vbs");
    case RuleMatch::Greater:
        return ContentRuleDialog::tr("Size in octets, e.g. 26214400 for 25 MB");
    }
    return {};
}

} // namespace

ContentRuleDialog::ContentRuleDialog(const ContentRule &rule, const QStringList &otherNames, QWidget *parent)
    : QDialog(parent)
    , m_otherNames(otherNames)
{
    setObjectName(QStringLiteral("contentRuleDialog"));
    setWindowTitle(rule.name.isEmpty() ? tr("New content rule") : tr("Content rule %1").arg(rule.name));
    setWindowModality(Qt::WindowModal);

    m_name = new QLineEdit(rule.name, this);
    m_name->setObjectName(QStringLiteral("ruleName"));
    m_name->setPlaceholderText(tr("e.g. Executable attachments"));
    m_enabled = new QCheckBox(tr("Enabled"), this);
    m_enabled->setChecked(rule.enabled);

    m_target = new QComboBox(this);
    m_target->setObjectName(QStringLiteral("ruleTarget"));
    for (RuleTarget t : kTargets)
        m_target->addItem(ContentRuleModel::targetLabel(t), int(t));
    m_target->setCurrentIndex(std::max(0, m_target->findData(int(rule.target))));
    m_field = new QLineEdit(rule.field, this);
    m_field->setObjectName(QStringLiteral("ruleField"));
    m_field->setPlaceholderText(tr("e.g. Subject"));
    m_fieldLabel = new QLabel(tr("Header field:"), this);

    m_match = new QComboBox(this);
    m_match->setObjectName(QStringLiteral("ruleMatch"));
    m_pattern = new QLineEdit(rule.pattern, this);
    m_pattern->setObjectName(QStringLiteral("rulePattern"));
    m_pattern->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_patternHint = new QLabel(this);
    m_patternHint->setWordWrap(true);
    m_patternHint->setStyleSheet(QStringLiteral("color: #606060;"));
    m_caret = new QLabel(this);
    m_caret->setObjectName(QStringLiteral("ruleRegexCaret"));
    m_caret->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_caret->setTextFormat(Qt::PlainText);
    m_caret->setStyleSheet(QStringLiteral("color: #b01e1e;"));

    m_action = new QComboBox(this);
    m_action->setObjectName(QStringLiteral("ruleAction"));
    for (RuleAction a : kActions)
        m_action->addItem(ContentRuleModel::actionLabel(a), int(a));
    m_action->setCurrentIndex(std::max(0, m_action->findData(int(rule.action))));
    m_header = new QLineEdit(rule.actionArg, this);
    m_header->setObjectName(QStringLiteral("ruleHeader"));
    m_header->setPlaceholderText(tr("e.g. X-Spam-Flag: YES"));
    m_headerLabel = new QLabel(tr("Header to add:"), this);

    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("ruleSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextFormat(Qt::PlainText);
    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("ruleProblem"));
    m_problem->setWordWrap(true);
    m_problem->setTextFormat(Qt::PlainText);
    m_problem->setStyleSheet(QStringLiteral("color: #b01e1e;"));

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(m_buttons, &QDialogButtonBox::accepted, this, [this] {
        if (isValid())
            accept();
    });
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *form = new QFormLayout;
    form->addRow(tr("Name:"), m_name);
    form->addRow(QString(), m_enabled);
    form->addRow(tr("Looks at:"), m_target);
    form->addRow(m_fieldLabel, m_field);
    form->addRow(tr("Match:"), m_match);
    form->addRow(tr("Pattern:"), m_pattern);
    form->addRow(QString(), m_caret);
    form->addRow(QString(), m_patternHint);
    form->addRow(tr("Action:"), m_action);
    form->addRow(m_headerLabel, m_header);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_summary);
    layout->addWidget(m_problem);
    layout->addStretch(1);
    layout->addWidget(m_buttons);

    refillMatches();
    m_match->setCurrentIndex(std::max(0, m_match->findData(int(rule.match))));

    connect(m_target, &QComboBox::currentIndexChanged, this, [this] {
        refillMatches();
        refresh();
    });
    for (QComboBox *c : {m_match, m_action})
        connect(c, &QComboBox::currentIndexChanged, this, &ContentRuleDialog::refresh);
    for (QLineEdit *e : {m_name, m_field, m_pattern, m_header})
        connect(e, &QLineEdit::textChanged, this, &ContentRuleDialog::refresh);
    connect(m_enabled, &QCheckBox::toggled, this, &ContentRuleDialog::refresh);
    resize(560, sizeHint().height());
    refresh();
}

void ContentRuleDialog::refillMatches()
{
    const QVariant current = m_match->currentData();
    const QSignalBlocker block(m_match);
    m_match->clear();
    for (RuleMatch m : ContentRuleModel::matchesFor(RuleTarget(m_target->currentData().toInt())))
        m_match->addItem(ContentRuleModel::matchLabel(m), int(m));
    m_match->setCurrentIndex(std::max(0, m_match->findData(current)));
}

ContentRule ContentRuleDialog::rule() const
{
    ContentRule r;
    r.name = m_name->text().trimmed();
    r.enabled = m_enabled->isChecked();
    r.target = RuleTarget(m_target->currentData().toInt());
    r.field = r.target == RuleTarget::Header ? m_field->text().trimmed() : QString();
    r.match = RuleMatch(m_match->currentData().toInt());
    r.pattern = r.match == RuleMatch::Regex ? m_pattern->text() : m_pattern->text().trimmed();
    r.action = RuleAction(m_action->currentData().toInt());
    r.actionArg = r.action == RuleAction::AddHeader ? m_header->text().trimmed() : QString();
    return r;
}

QString ContentRuleDialog::problem() const
{
    const ContentRule r = rule();
    QStringList out;
    const QString name = r.name.trimmed();
    const QString prefix =
        QStringLiteral("content rule 1 (%1): ").arg(name.isEmpty() ? QStringLiteral("no name") : name);
    for (const QString &e : rd::config::validateContentRules({r}))
        out << PolicyTableBase::capitalized(e.startsWith(prefix) ? e.mid(prefix.size()) : e);
    for (const QString &other : m_otherNames) {
        if (!name.isEmpty() && other.trimmed().compare(name, Qt::CaseInsensitive) == 0) {
            out << tr("Another rule is already called \u201c%1\u201d.").arg(name);
            break;
        }
    }
    return out.join(QLatin1Char('\n'));
}

QString ContentRuleDialog::regexCaret() const
{
    return m_caret->isHidden() ? QString() : m_caret->text();
}

void ContentRuleDialog::setTarget(RuleTarget target)
{
    m_target->setCurrentIndex(m_target->findData(int(target)));
}

void ContentRuleDialog::setMatch(RuleMatch match)
{
    m_match->setCurrentIndex(m_match->findData(int(match)));
}

void ContentRuleDialog::setAction(RuleAction action)
{
    m_action->setCurrentIndex(m_action->findData(int(action)));
}

void ContentRuleDialog::refresh()
{
    const ContentRule r = rule();
    const bool header = r.target == RuleTarget::Header;
    m_field->setVisible(header);
    m_fieldLabel->setVisible(header);
    const bool addHeader = r.action == RuleAction::AddHeader;
    m_header->setVisible(addHeader);
    m_headerLabel->setVisible(addHeader);
    m_patternHint->setText(patternHint(r.match));

    // A regex error: the pattern with a caret under the offending position.
    QString caret;
    if (r.match == RuleMatch::Regex && !r.pattern.isEmpty()) {
        const QRegularExpression re(r.pattern);
        if (!re.isValid()) {
            const int at = int(std::clamp<qsizetype>(re.patternErrorOffset(), 0, r.pattern.size()));
            caret = r.pattern + QLatin1Char('\n') + QString(at, QLatin1Char(' ')) + QStringLiteral("^ ")
                  + tr("%1 (position %2)").arg(re.errorString()).arg(at + 1);
        }
    }
    m_caret->setText(caret);
    m_caret->setVisible(!caret.isEmpty());

    const QString p = problem();
    m_problem->setText(p);
    m_problem->setVisible(!p.isEmpty());
    m_summary->setText(p.isEmpty() ? ContentRuleModel::describe(r) + QLatin1Char('.') : QString());
    m_summary->setVisible(p.isEmpty());
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(p.isEmpty());
}

} // namespace rd::ui
