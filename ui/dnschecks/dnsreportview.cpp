#include "dnschecks/dnsreportview.h"

#include "dnschecks/dnsstatusstyle.h"

#include <QApplication>
#include <QClipboard>
#include <QFontDatabase>
#include <QGridLayout>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMap>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QStyle>
#include <QTabWidget>
#include <QTextBrowser>
#include <QTextDocumentFragment>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace rd::ui {

using rd::dnscheck::Finding;
using rd::dnscheck::Report;
using rd::dnscheck::Status;

namespace {

constexpr int kFindingRole = Qt::UserRole + 1; // int: index into the report's findings, -1 for a group

} // namespace

DnsReportView::DnsReportView(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("dnsReportView"));

    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("dnsReportSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_changesLabel = new QLabel(this);
    m_changesLabel->setObjectName(QStringLiteral("dnsChanges"));
    m_changesLabel->setWordWrap(true);
    m_changesLabel->setTextFormat(Qt::RichText);
    m_changesLabel->setOpenExternalLinks(false);
    connect(m_changesLabel, &QLabel::linkActivated, this, [this] { m_tabs->setCurrentWidget(m_changeList); });
    m_changesLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_tree = new QTreeWidget(this);
    m_tree->setObjectName(QStringLiteral("dnsFindings"));
    m_tree->setHeaderLabels({tr("Finding"), tr("Status")});
    m_tree->setRootIsDecorated(true);
    m_tree->setUniformRowHeights(true);
    m_tree->setSelectionMode(QAbstractItemView::SingleSelection);
    m_tree->setAlternatingRowColors(false);
    m_tree->header()->setStretchLastSection(false);
    m_tree->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_tree->header()->setSectionResizeMode(1, QHeaderView::Interactive);
    m_tree->setColumnWidth(1, 150);
    m_tree->setTextElideMode(Qt::ElideRight);

    m_detail = new QTextBrowser(this);
    m_detail->setObjectName(QStringLiteral("dnsFindingDetail"));
    m_detail->setOpenLinks(false);
    m_detail->setMinimumHeight(fontMetrics().lineSpacing() * 4 + 12);

    m_fixBox = new QGroupBox(tr("Record to publish"), this);
    m_fixBox->setObjectName(QStringLiteral("dnsFixBox"));
    m_fixName = new QLineEdit(m_fixBox);
    m_fixName->setObjectName(QStringLiteral("dnsFixName"));
    m_fixName->setReadOnly(true);
    m_fixType = new QLineEdit(m_fixBox);
    m_fixType->setObjectName(QStringLiteral("dnsFixType"));
    m_fixType->setReadOnly(true);
    m_fixType->setFixedWidth(fontMetrics().horizontalAdvance(QStringLiteral("CNAME")) + 16);
    m_fixValue = new QPlainTextEdit(m_fixBox);
    m_fixValue->setObjectName(QStringLiteral("dnsFixValue"));
    m_fixValue->setReadOnly(true);
    m_fixValue->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_fixValue->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_fixValue->setWordWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    m_fixValue->setFixedHeight(m_fixValue->fontMetrics().lineSpacing() * 2 + 12);
    m_copy = new QPushButton(style()->standardIcon(QStyle::SP_DialogSaveButton), tr("Copy"), m_fixBox);
    m_copy->setObjectName(QStringLiteral("copyDnsFixButton"));
    m_copy->setToolTip(tr("Copy the record value"));
    connect(m_copy, &QPushButton::clicked, this, &DnsReportView::copyFix);

    auto *fixGrid = new QGridLayout(m_fixBox);
    fixGrid->addWidget(new QLabel(tr("Name:"), m_fixBox), 0, 0);
    fixGrid->addWidget(m_fixName, 0, 1);
    fixGrid->addWidget(new QLabel(tr("Type:"), m_fixBox), 0, 2);
    fixGrid->addWidget(m_fixType, 0, 3);
    fixGrid->addWidget(new QLabel(tr("Value:"), m_fixBox), 1, 0, Qt::AlignTop);
    fixGrid->addWidget(m_fixValue, 1, 1, 1, 3);
    fixGrid->addWidget(m_copy, 1, 4, Qt::AlignTop);
    fixGrid->setColumnStretch(1, 1);

    auto *details = new QWidget(this);
    auto *detailsLayout = new QVBoxLayout(details);
    detailsLayout->setContentsMargins(0, 4, 0, 0);
    detailsLayout->addWidget(m_detail, 1);
    detailsLayout->addWidget(m_fixBox);

    m_changeList = new QListWidget(this);
    m_changeList->setObjectName(QStringLiteral("dnsChangeList"));
    m_changeList->setWordWrap(true);

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("dnsReportTabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(details, tr("Details"));
    m_tabs->addTab(m_changeList, tr("Changes"));
    QWidget *bottom = m_tabs;

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(m_tree);
    splitter->addWidget(bottom);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 0);
    m_tabs->setMinimumHeight(m_tabs->minimumSizeHint().height());
    splitter->setSizes({400, m_tabs->minimumHeight() + 20}); // growth goes to the findings

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_summary);
    layout->addWidget(m_changesLabel);
    layout->addWidget(splitter, 1);

    connect(m_tree, &QTreeWidget::currentItemChanged, this, &DnsReportView::showFinding);
    clear(tr("No checks have been run for this domain yet."));
}

void DnsReportView::clear(const QString &message)
{
    m_report = Report();
    m_changes.clear();
    m_hasReport = false;
    m_tree->clear();
    m_summary->setText(message);
    m_summary->setStyleSheet(QStringLiteral("color: gray;"));
    m_changesLabel->clear();
    m_changesLabel->hide();
    m_changeList->clear();
    m_tabs->setTabText(1, tr("Changes"));
    m_tabs->setCurrentIndex(0);
    showFinding();
}

void DnsReportView::setReport(const Report &report, const Report *previous)
{
    m_report = report;
    m_hasReport = true;
    m_changes = previous ? report.changesSince(*previous) : QStringList();

    const Status worst = report.worst();
    m_summary->setStyleSheet(QString());
    m_summary->setText(tr("<b>%1</b> checked %2 (%3 s): <span style='color:%4'><b>%5</b></span>")
                           .arg(report.domain.toHtmlEscaped(), dnsstyle::localTime(report.when))
                           .arg(QString::number(report.durationMs / 1000.0, 'f', 1),
                                dnsstyle::foreground(worst).name(), dnsstyle::countsText(report).toHtmlEscaped()));

    m_changeList->clear();
    if (!previous) {
        m_changesLabel->setText(tr("<span style='color:gray'>First stored run of this domain: nothing to compare "
                                   "with.</span>"));
    } else if (m_changes.isEmpty()) {
        m_changesLabel->setText(tr("<span style='color:gray'>No changes since the previous run (%1).</span>")
                                    .arg(dnsstyle::localTime(previous->when)));
    } else {
        m_changesLabel->setText(tr("<b>Changes since the previous run</b> (%1): <a href='#changes'>%2</a>")
                                    .arg(dnsstyle::localTime(previous->when),
                                         m_changes.size() == 1 ? tr("1 change") : tr("%1 changes").arg(m_changes.size())));
        for (const QString &line : std::as_const(m_changes)) {
            // "was warn, now pass: ...", "new: [warn] ...", "gone: [fail] ...": the icon is the status now.
            const QString now = line.startsWith(QLatin1String("was "))
                                    ? line.section(QStringLiteral("now "), 1).section(QLatin1Char(':'), 0, 0)
                                    : line.section(QLatin1Char('['), 1).section(QLatin1Char(']'), 0, 0);
            auto *item = new QListWidgetItem(line, m_changeList);
            if (line.startsWith(QLatin1String("gone:")))
                item->setForeground(QColor(Qt::gray));
            else
                item->setIcon(dnsstyle::icon(rd::dnscheck::statusFromName(now)));
        }
    }
    m_tabs->setTabText(1, m_changes.isEmpty() ? tr("Changes") : tr("Changes (%1)").arg(m_changes.size()));
    m_changesLabel->setToolTip(m_changes.join(QLatin1Char('\n')));
    m_changesLabel->show();

    // Groups in the usual order (SPF, DKIM, DMARC, MX, PTR, DNSBL, others).
    QMap<QPair<int, QString>, QList<int>> groups;
    for (int i = 0; i < report.findings.size(); ++i) {
        const QString check = report.findings.at(i).check.toLower();
        groups[{dnsstyle::checkOrder(check), check}] << i;
    }
    m_tree->clear();
    QFont bold = m_tree->font();
    bold.setBold(true);
    QTreeWidgetItem *first = nullptr;
    QTreeWidgetItem *firstProblem = nullptr;
    for (auto it = groups.cbegin(); it != groups.cend(); ++it) {
        Report part;
        for (int i : it.value())
            part.findings << report.findings.at(i);
        const Status groupWorst = part.worst();
        auto *group = new QTreeWidgetItem(m_tree, {dnsstyle::checkTitle(it.key().second), dnsstyle::countsText(part)});
        group->setData(0, kFindingRole, -1);
        group->setIcon(0, dnsstyle::icon(groupWorst));
        group->setFont(0, bold);
        group->setForeground(1, dnsstyle::foreground(groupWorst));
        group->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
        for (int i : it.value()) {
            const Finding &f = report.findings.at(i);
            auto *item = new QTreeWidgetItem(group, {f.title, dnsstyle::statusText(f.status)});
            item->setData(0, kFindingRole, i);
            item->setIcon(0, dnsstyle::icon(f.status));
            item->setIcon(1, dnsstyle::icon(f.status));
            item->setForeground(1, dnsstyle::foreground(f.status));
            item->setBackground(1, dnsstyle::background(f.status));
            item->setFont(1, bold);
            item->setToolTip(0, f.title);
            if (!first)
                first = item;
            if (!firstProblem && (f.status == Status::Fail || f.status == Status::Warn))
                firstProblem = item;
        }
    }
    m_tree->expandAll();
    QTreeWidgetItem *select = firstProblem ? firstProblem : first;
    if (select) {
        m_tree->setCurrentItem(select);
        m_tree->scrollToTop(); // the first groups stay in view when the selection fits
        m_tree->scrollToItem(select, QAbstractItemView::EnsureVisible);
    }
    showFinding();
}

QString DnsReportView::summaryText() const
{
    return QTextDocumentFragment::fromHtml(m_summary->text()).toPlainText();
}

QString DnsReportView::changesText() const
{
    return m_changes.join(QLatin1Char('\n'));
}

bool DnsReportView::selectFinding(int index)
{
    for (int g = 0; g < m_tree->topLevelItemCount(); ++g) {
        QTreeWidgetItem *group = m_tree->topLevelItem(g);
        for (int c = 0; c < group->childCount(); ++c) {
            if (group->child(c)->data(0, kFindingRole).toInt() == index) {
                m_tree->setCurrentItem(group->child(c));
                return true;
            }
        }
    }
    return false;
}

int DnsReportView::selectedFinding() const
{
    const QTreeWidgetItem *item = m_tree->currentItem();
    return item ? item->data(0, kFindingRole).toInt() : -1;
}

QString DnsReportView::detailText() const
{
    return m_detail->toPlainText();
}

QString DnsReportView::fixName() const
{
    return m_fixName->text();
}

QString DnsReportView::fixType() const
{
    return m_fixType->text();
}

QString DnsReportView::fixValue() const
{
    return m_fixValue->toPlainText();
}

bool DnsReportView::isFixShown() const
{
    return m_fixBox->isEnabled() && !m_fixValue->toPlainText().isEmpty();
}

void DnsReportView::copyFix()
{
    if (!fixValue().isEmpty())
        QApplication::clipboard()->setText(fixValue());
}

void DnsReportView::showFinding()
{
    const int index = selectedFinding();
    if (!m_hasReport || index < 0 || index >= m_report.findings.size()) {
        const QTreeWidgetItem *item = m_tree->currentItem();
        m_detail->setHtml(QStringLiteral("<p style='color:gray'>%1</p>")
                              .arg((item ? tr("Select a finding of this check to see what it means and what to do.")
                                         : m_hasReport ? tr("Select a finding to see what it means and what to do.")
                                                       : QString())
                                       .toHtmlEscaped()));
        m_fixName->clear();
        m_fixType->clear();
        m_fixValue->clear();
        m_fixValue->setPlaceholderText(QString());
        m_fixBox->setEnabled(false);
        return;
    }
    const Finding &f = m_report.findings.at(index);
    QString html = QStringLiteral("<p><span style='color:%1'><b>%2</b></span> &nbsp; <b>%3</b></p>")
                       .arg(dnsstyle::foreground(f.status).name(), dnsstyle::statusText(f.status).toHtmlEscaped(),
                            f.title.toHtmlEscaped());
    if (!f.detail.isEmpty())
        html += QStringLiteral("<p>%1</p>").arg(f.detail.toHtmlEscaped().replace(QLatin1Char('\n'), QLatin1String("<br>")));
    m_detail->setHtml(html);

    // The record box stays in place (no jumping layout); without a fix it is empty and disabled.
    const bool fix = !f.fixValue.isEmpty();
    m_fixName->setText(fix ? f.fixName : QString());
    m_fixType->setText(fix ? f.fixType : QString());
    m_fixValue->setPlainText(fix ? f.fixValue : QString());
    m_fixValue->setPlaceholderText(fix ? QString() : tr("Nothing to publish for this finding."));
    m_fixName->setCursorPosition(0);
    m_fixBox->setEnabled(fix);
}

} // namespace rd::ui
