#include "filtering/filteringpanel.h"

#include "filtering/connectioncontrolpage.h"
#include "filtering/contentrulespage.h"
#include "filtering/dnsblpage.h"
#include "filtering/greylistpage.h"

#include "engine/enginefacade.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QStyle>
#include <QTabWidget>
#include <QVBoxLayout>

namespace rd::ui {

using rd::config::ConfigSnapshot;

namespace {

const QString kRed = QStringLiteral("#b01e1e");
const QString kGreen = QStringLiteral("#1b7a2b");
const QString kGray = QStringLiteral("#606060");

} // namespace

FilteringPanel::FilteringPanel(rd::engine::EngineFacade *facade, QWidget *parent)
    : QWidget(parent)
    , m_facade(facade)
{
    setObjectName(QStringLiteral("filteringPanel"));

    auto *title = new QLabel(tr("Filtering"), this);
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.5);
    titleFont.setBold(true);
    title->setFont(titleFont);
    auto *explanation = new QLabel(tr("What the relay refuses, holds or marks: content rules on addresses, "
                                      "headers, text, attachments and size; DNS block lists at connect; greylisting "
                                      "of unknown senders; address rules and automatic bans at connect."),
                                   this);
    explanation->setWordWrap(true);

    m_rules = new ContentRulesPage(this);
    m_dnsbl = new DnsblPage(this);
    m_greylist = new GreylistPage(this);
    m_connections = new ConnectionControlPage(this);
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("filteringTabs"));
    m_tabs->addTab(m_rules, QString());
    m_tabs->addTab(m_dnsbl, QString());
    m_tabs->addTab(m_greylist, QString());
    m_tabs->addTab(m_connections, QString());
    connect(m_rules, &ContentRulesPage::changed, this, &FilteringPanel::updateState);
    connect(m_dnsbl, &DnsblPage::changed, this, &FilteringPanel::updateState);
    connect(m_greylist, &GreylistPage::changed, this, &FilteringPanel::updateState);
    connect(m_connections, &ConnectionControlPage::changed, this, &FilteringPanel::updateState);
    connect(m_connections, &ConnectionControlPage::unbanRequested, this, &FilteringPanel::unbanRequested);
    connect(m_connections, &ConnectionControlPage::bansRequested, this, &FilteringPanel::bansRequested);
    connect(m_tabs, &QTabWidget::currentChanged, this, &FilteringPanel::updateState);

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("filteringStatus"));
    m_status->setWordWrap(true);
    m_status->setTextFormat(Qt::PlainText);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_revert = new QPushButton(style()->standardIcon(QStyle::SP_DialogResetButton), tr("Revert"), this);
    m_revert->setObjectName(QStringLiteral("revertFiltering"));
    m_revert->setToolTip(tr("Discard the changes on every tab"));
    connect(m_revert, &QPushButton::clicked, this, &FilteringPanel::revert);
    m_apply = new QPushButton(style()->standardIcon(QStyle::SP_DialogApplyButton), tr("Apply"), this);
    m_apply->setObjectName(QStringLiteral("applyFiltering"));
    m_apply->setToolTip(tr("Apply every tab now (possible once everything is valid)"));
    connect(m_apply, &QPushButton::clicked, this, &FilteringPanel::apply);

    auto *bottom = new QHBoxLayout;
    bottom->addWidget(m_status, 1);
    bottom->addWidget(m_revert, 0, Qt::AlignTop);
    bottom->addWidget(m_apply, 0, Qt::AlignTop);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addWidget(explanation);
    layout->addWidget(m_tabs, 1);
    layout->addLayout(bottom);

    connect(m_facade, &rd::engine::EngineFacade::configLoaded, this, &FilteringPanel::setConfig);
    connect(m_facade, &rd::engine::EngineFacade::configApplied, this, &FilteringPanel::onConfigApplied);
    connect(m_facade, &rd::engine::EngineFacade::policyStatusReady, m_greylist, &GreylistPage::setPolicyStatus);
    updateState();
    m_facade->requestConfig();
}

FilteringPanel::~FilteringPanel() = default;

bool FilteringPanel::isDirty() const
{
    return m_rules->isDirty() || m_dnsbl->isDirty() || m_greylist->isDirty() || m_connections->isDirty();
}

bool FilteringPanel::hasErrors() const
{
    return !errors().isEmpty();
}

QStringList FilteringPanel::errors() const
{
    return m_rules->errors() + m_dnsbl->errors() + m_connections->errors();
}

ConfigSnapshot FilteringPanel::pendingConfig() const
{
    ConfigSnapshot c = m_config;
    m_rules->writeTo(&c);
    m_dnsbl->writeTo(&c);
    m_greylist->writeTo(&c);
    m_connections->writeTo(&c);
    return c;
}

bool FilteringPanel::canApply() const
{
    return m_hasConfig && !m_applying && !hasErrors() && (isDirty() || m_lastApplyFailed);
}

QString FilteringPanel::statusText() const
{
    return m_status->text();
}

void FilteringPanel::setConfig(const ConfigSnapshot &config)
{
    m_config = config;
    m_hasConfig = true;
    m_rules->load(config);
    m_dnsbl->load(config);
    m_greylist->load(config);
    m_connections->load(config);
    updateState();
}

void FilteringPanel::showTab(int tab)
{
    if (tab >= 0 && tab < m_tabs->count())
        m_tabs->setCurrentIndex(tab);
}

void FilteringPanel::apply()
{
    if (!canApply())
        return;
    m_applying = true;
    m_resultText.clear();
    updateState();
    m_facade->applyConfig(pendingConfig()); // with no engine the answer comes inside this call
}

void FilteringPanel::revert()
{
    m_rules->revert();
    m_dnsbl->revert();
    m_greylist->revert();
    m_connections->revert();
    m_resultText.clear();
    updateState();
}

void FilteringPanel::onConfigApplied(bool ok, const QStringList &errors)
{
    if (!m_applying)
        return; // another panel's apply; its configLoaded() updates us
    m_applying = false;
    m_lastApplyFailed = !ok;
    if (ok) {
        m_resultText = tr("Applied: the rules, block lists, greylisting and connection control are in force for new "
                          "sessions.");
        m_resultColor = kGreen;
    } else {
        m_resultText = tr("Apply failed: %1").arg(errors.isEmpty() ? tr("unknown error")
                                                                   : errors.join(QStringLiteral("; ")));
        m_resultColor = kRed;
    }
    updateState();
    m_facade->requestConfig();
}

void FilteringPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    m_facade->requestPolicyStatus(); // the greylist counts
    emit bansRequested();
}

void FilteringPanel::setBans(const QList<rd::policy::Ban> &bans)
{
    m_connections->setBans(bans);
}

void FilteringPanel::setStatus(const QString &text, const QString &color)
{
    m_status->setText(text);
    m_status->setStyleSheet(color.isEmpty() ? QString() : QStringLiteral("color: %1;").arg(color));
}

void FilteringPanel::updateState()
{
    auto title = [](const QString &base, bool dirty, bool errors) {
        return errors ? base + QStringLiteral(" \u26a0") : dirty ? base + QStringLiteral(" *") : base;
    };
    m_tabs->setTabText(ContentRulesTab, title(tr("Content rules"), m_rules->isDirty(), !m_rules->errors().isEmpty()));
    m_tabs->setTabText(DnsblTab, title(tr("DNS block lists"), m_dnsbl->isDirty(), !m_dnsbl->errors().isEmpty()));
    m_tabs->setTabText(GreylistTab, title(tr("Greylisting"), m_greylist->isDirty(), false));
    m_tabs->setTabText(ConnectionControlTab, title(tr("Connection control"), m_connections->isDirty(),
                                                   !m_connections->errors().isEmpty()));
    m_tabs->setEnabled(m_hasConfig);
    const bool dirty = isDirty();
    m_revert->setEnabled(m_hasConfig && dirty && !m_applying);
    m_apply->setEnabled(canApply());

    if (!m_hasConfig) {
        setStatus(tr("Waiting for the configuration from the engine\u2026"), kGray);
        return;
    }
    if (m_applying) {
        setStatus(tr("Applying\u2026"), kGray);
        return;
    }
    const QStringList problems = errors();
    if (!problems.isEmpty()) {
        QString text = problems.first();
        if (problems.size() > 1)
            text += QLatin1Char('\n') + tr("(%n more problem(s))", nullptr, int(problems.size()) - 1);
        text += QLatin1Char('\n') + tr("Nothing is applied until everything is valid.");
        setStatus(text, kRed);
        return;
    }
    QStringList lines;
    QString color = kGray;
    if (!m_resultText.isEmpty()) {
        lines << m_resultText;
        color = m_resultColor;
    }
    const QString note = m_tabs->currentIndex() == DnsblTab ? m_dnsbl->note()
                       : m_tabs->currentIndex() == ContentRulesTab ? m_rules->note()
                       : m_tabs->currentIndex() == ConnectionControlTab ? m_connections->note() : QString();
    if (!note.isEmpty() && (dirty || m_tabs->currentIndex() == ConnectionControlTab))
        lines << note;
    if (dirty)
        lines << tr("Changes are not applied yet: Apply makes them take effect, Revert discards them.");
    setStatus(lines.join(QLatin1Char('\n')), color);
}

} // namespace rd::ui
