#include "dnschecks/dnscheckspanel.h"

#include "dnschecks/dnsrelaysettings.h"
#include "dnschecks/dnsreportview.h"
#include "dnschecks/dnsstatusstyle.h"

#include "config/dkimkeystore.h"
#include "config/settings.h"
#include "dnscheck/dnscheckhistory.h"
#include "engine/enginefacade.h"

#include <QDir>
#include <QFileDialog>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSaveFile>
#include <QSplitter>
#include <QStyle>
#include <QTimer>
#include <QVBoxLayout>

namespace rd::ui {

using rd::dnscheck::Report;
namespace keys = rd::config::keys;

namespace {

constexpr auto kRed = "#b01e1e";
constexpr auto kGreen = "#1b7a2b";
constexpr auto kAmber = "#8a5a00";
constexpr int kRunRole = Qt::UserRole + 1;    // int: index into runs()
constexpr int kDomainRole = Qt::UserRole + 2; // QString

} // namespace

DnsChecksPanel::DnsChecksPanel(rd::engine::EngineFacade *facade, QWidget *parent)
    : QWidget(parent)
    , m_facade(facade)
{
    setObjectName(QStringLiteral("dnsChecksPanel"));
    buildUi();

    connect(m_facade, &rd::engine::EngineFacade::configLoaded, this, &DnsChecksPanel::setConfig);
    connect(m_facade, &rd::engine::EngineFacade::configApplied, this, &DnsChecksPanel::onConfigApplied);
    connect(m_facade, &rd::engine::EngineFacade::dnsCheckProgress, this, &DnsChecksPanel::onProgress);
    connect(m_facade, &rd::engine::EngineFacade::dnsCheckFinished, this, &DnsChecksPanel::onFinished);

    updateState();
    m_facade->requestConfig();
}

DnsChecksPanel::~DnsChecksPanel() = default;

// --- Layout ---------------------------------------------------------------

void DnsChecksPanel::buildUi()
{
    auto *title = new QLabel(tr("DNS checks"), this);
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.5);
    titleFont.setBold(true);
    title->setFont(titleFont);

    auto *explanation = new QLabel(
        tr("Most relayed mail that goes missing ends up in spam folders because of DNS records. For each domain "
           "you send from, these checks look at SPF, DKIM, DMARC, MX, reverse DNS and block lists, and say what "
           "to publish or fix."),
        this);
    explanation->setWordWrap(true);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(buildLeft());
    splitter->addWidget(buildRight());
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({230, 670});

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addWidget(explanation);
    layout->addWidget(buildSettings());
    layout->addWidget(splitter, 1);
}

QWidget *DnsChecksPanel::buildSettings()
{
    m_settings = new DnsRelaySettings(this);
    connect(m_settings, &DnsRelaySettings::applyRequested, this, &DnsChecksPanel::applySettings);
    return m_settings;
}

QWidget *DnsChecksPanel::buildLeft()
{
    auto *left = new QWidget(this);

    auto *domainsBox = new QGroupBox(tr("Sending domains"), left);
    m_domainList = new QListWidget(domainsBox);
    m_domainList->setObjectName(QStringLiteral("dnsDomainList"));
    m_domainList->setIconSize(QSize(16, 16));
    m_domainList->setTextElideMode(Qt::ElideRight);
    m_newDomain = new QLineEdit(domainsBox);
    m_newDomain->setObjectName(QStringLiteral("newDomain"));
    m_newDomain->setPlaceholderText(tr("example.com"));
    m_addDomain = new QPushButton(tr("Add"), domainsBox);
    m_addDomain->setObjectName(QStringLiteral("addDomainButton"));
    m_removeDomain = new QPushButton(style()->standardIcon(QStyle::SP_TrashIcon), tr("Remove"), domainsBox);
    m_removeDomain->setObjectName(QStringLiteral("removeDomainButton"));
    m_removeDomain->setToolTip(tr("Stop checking the selected domain (its stored runs are kept)"));
    connect(m_addDomain, &QPushButton::clicked, this, [this] { addDomain(m_newDomain->text()); });
    connect(m_newDomain, &QLineEdit::returnPressed, this, [this] { addDomain(m_newDomain->text()); });
    connect(m_newDomain, &QLineEdit::textChanged, this, &DnsChecksPanel::updateState);
    connect(m_removeDomain, &QPushButton::clicked, this, [this] { removeDomain(currentDomain()); });
    connect(m_domainList, &QListWidget::currentItemChanged, this, [this](QListWidgetItem *item) {
        if (item)
            setCurrentDomain(item->data(kDomainRole).toString());
    });

    auto *addRow = new QHBoxLayout;
    addRow->addWidget(m_newDomain, 1);
    addRow->addWidget(m_addDomain);
    auto *domainsLayout = new QVBoxLayout(domainsBox);
    domainsLayout->addWidget(m_domainList, 1);
    domainsLayout->addLayout(addRow);
    domainsLayout->addWidget(m_removeDomain, 0, Qt::AlignRight);

    auto *runsBox = new QGroupBox(tr("Runs"), left);
    m_runList = new QListWidget(runsBox);
    m_runList->setObjectName(QStringLiteral("dnsRunList"));
    m_runList->setIconSize(QSize(16, 16));
    connect(m_runList, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0)
            showRun(row);
    });
    auto *runsLayout = new QVBoxLayout(runsBox);
    runsLayout->addWidget(m_runList);

    auto *layout = new QVBoxLayout(left);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(domainsBox, 3);
    layout->addWidget(runsBox, 2);
    left->setMinimumWidth(230);
    return left;
}

QWidget *DnsChecksPanel::buildRight()
{
    auto *right = new QWidget(this);
    m_domainTitle = new QLabel(right);
    m_domainTitle->setObjectName(QStringLiteral("dnsDomainTitle"));
    QFont f = m_domainTitle->font();
    f.setPointSizeF(f.pointSizeF() * 1.2);
    f.setBold(true);
    m_domainTitle->setFont(f);

    m_run = new QPushButton(style()->standardIcon(QStyle::SP_BrowserReload), tr("Run checks"), right);
    m_run->setObjectName(QStringLiteral("runChecksButton"));
    m_run->setToolTip(tr("Check the selected domain now"));
    m_runAll = new QPushButton(tr("Run all"), right);
    m_runAll->setObjectName(QStringLiteral("runAllButton"));
    m_runAll->setToolTip(tr("Check every listed domain, one after the other"));
    m_export = new QPushButton(style()->standardIcon(QStyle::SP_DialogSaveButton), tr("Export report\u2026"), right);
    m_export->setObjectName(QStringLiteral("exportReportButton"));
    m_export->setToolTip(tr("Save the shown run as a text file"));
    connect(m_run, &QPushButton::clicked, this, &DnsChecksPanel::runChecks);
    connect(m_runAll, &QPushButton::clicked, this, &DnsChecksPanel::runAll);
    connect(m_export, &QPushButton::clicked, this, &DnsChecksPanel::openExportDialog);

    auto *header = new QHBoxLayout;
    header->addWidget(m_domainTitle, 1);
    header->addWidget(m_run);
    header->addWidget(m_runAll);
    header->addWidget(m_export);

    m_progress = new QProgressBar(right);
    m_progress->setObjectName(QStringLiteral("dnsProgress"));
    m_progress->setTextVisible(false);
    m_progress->setMaximumWidth(180);
    m_step = new QLabel(right);
    m_step->setObjectName(QStringLiteral("dnsStep"));
    auto *progressRow = new QHBoxLayout;
    progressRow->addWidget(m_progress);
    progressRow->addWidget(m_step, 1);

    m_status = new QLabel(right);
    m_status->setObjectName(QStringLiteral("dnsStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->hide();

    m_view = new DnsReportView(right);

    auto *layout = new QVBoxLayout(right);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(header);
    layout->addLayout(progressRow);
    layout->addWidget(m_status);
    layout->addWidget(m_view, 1);
    return right;
}

// --- Queries and validation ---------------------------------------------

QString DnsChecksPanel::currentDomain() const
{
    return m_currentDomain;
}

int DnsChecksPanel::currentRun() const
{
    return m_runList->currentRow();
}

QString DnsChecksPanel::statusText() const
{
    return m_status->isHidden() ? QString() : m_status->text();
}

QString DnsChecksPanel::settingsProblem() const
{
    return m_settings->problem();
}

bool DnsChecksPanel::canApplySettings() const
{
    return m_hasConfig && m_applying == Applying::None && m_settings->isDirty() && m_settings->isValid();
}

rd::dnscheck::DnsCheckHistory *DnsChecksPanel::history()
{
    if (!m_historyDb || !m_historyDb->isOpen()) // retried: log.db may not exist yet
        m_historyDb = std::make_unique<rd::dnscheck::DnsCheckHistory>(m_facade->dataDir());
    return m_historyDb->isOpen() ? m_historyDb.get() : nullptr;
}

// --- Configuration ------------------------------------------------------

void DnsChecksPanel::setConfig(const rd::config::ConfigSnapshot &config)
{
    m_config = config;
    m_hasConfig = true;
    if (m_applying != Applying::Domains) {
        QStringList list;
        for (const QString &d : DnsRelaySettings::splitList(config.stringValue(keys::kCheckDomains))) {
            const QString n = rd::config::DkimKeyStore::normalizeDomain(d);
            if (!n.isEmpty() && !list.contains(n))
                list << n;
        }
        m_domains = list;
    }
    if (m_applying != Applying::Settings)
        m_settings->load(config.stringValue(keys::kPublicAddresses), config.dnsblZones);
    refreshDomainList();
    updateState();
}

void DnsChecksPanel::applyDomains(const QStringList &domains, const QString &what)
{
    if (!m_hasConfig) {
        setStatus(tr("The configuration has not been loaded yet: try again in a moment."), QLatin1String(kRed));
        return;
    }
    rd::config::ConfigSnapshot c = m_config;
    QString error;
    if (!c.setValue(QString::fromLatin1(keys::kCheckDomains), domains.join(QLatin1Char(',')), &error)) {
        setStatus(tr("Cannot save the domain list: %1").arg(error), QLatin1String(kRed));
        return;
    }
    m_applying = Applying::Domains;
    m_applyWhat = what;
    m_domains = domains;
    refreshDomainList();
    setStatus(tr("Saving\u2026"));
    updateState();
    m_facade->applyConfig(c); // with no engine the answer comes inside this call
}

bool DnsChecksPanel::addDomain(const QString &domain)
{
    const QString typed = domain.trimmed();
    if (m_applying != Applying::None)
        return false;
    QString why = typed.isEmpty() ? tr("Enter a domain you send mail from, like example.com.")
                                  : rd::config::DkimKeyStore::validateDomain(typed);
    const QString name = rd::config::DkimKeyStore::normalizeDomain(typed);
    if (why.isEmpty() && m_domains.contains(name))
        why = tr("%1 is already in the list.").arg(name);
    if (!why.isEmpty()) {
        setStatus(why, QLatin1String(kRed));
        return false;
    }
    m_currentDomain = name;
    m_newDomain->clear();
    applyDomains(m_domains + QStringList{name}, tr("Added %1: use \u201cRun checks\u201d to check it.").arg(name));
    return m_applying == Applying::Domains || m_domains.contains(name);
}

bool DnsChecksPanel::removeDomain(const QString &domain)
{
    const QString name = domain.trimmed().toLower();
    if (m_applying != Applying::None || !m_domains.contains(name))
        return false;
    QStringList rest = m_domains;
    rest.removeAll(name);
    if (m_currentDomain == name)
        m_currentDomain = rest.isEmpty() ? QString() : rest.first();
    applyDomains(rest, tr("Removed %1 from the checked domains (its stored runs are kept).").arg(name));
    return true;
}

void DnsChecksPanel::setPublicAddressesText(const QString &text)
{
    m_settings->setAddressesText(text);
}

void DnsChecksPanel::setDnsblZonesText(const QString &text)
{
    m_settings->setZonesText(text);
}

bool DnsChecksPanel::applySettings()
{
    if (!canApplySettings())
        return false;
    rd::config::ConfigSnapshot c = m_config;
    QString error;
    if (!c.setValue(QString::fromLatin1(keys::kPublicAddresses), m_settings->addressesValue(), &error)) {
        setStatus(tr("Cannot save: %1").arg(error), QLatin1String(kRed));
        return false;
    }
    c.dnsblZones = m_settings->zonesValue();
    m_applying = Applying::Settings;
    m_applyWhat = tr("Saved the public addresses and block lists; the next run uses them.");
    setStatus(tr("Saving\u2026"));
    updateState();
    m_facade->applyConfig(c);
    return true;
}

void DnsChecksPanel::onConfigApplied(bool ok, const QStringList &errors)
{
    if (m_applying == Applying::None)
        return; // another panel's apply; its configLoaded() updates us
    const Applying was = m_applying;
    m_applying = Applying::None;
    if (ok) {
        setStatus(m_applyWhat, QLatin1String(kGreen));
    } else {
        setStatus(tr("Could not save: %1").arg(errors.isEmpty() ? tr("unknown error") : errors.join(QStringLiteral("; "))),
                  QLatin1String(kRed));
        if (was == Applying::Domains) // back to the list in force
            setConfig(m_config);
    }
    updateState();
    m_facade->requestConfig();
}

// --- Domains and history ------------------------------------------------

void DnsChecksPanel::setCurrentDomain(const QString &domain)
{
    const QString name = domain.trimmed().toLower();
    if (name == m_currentDomain && m_runList->count() > 0)
        return;
    m_currentDomain = name;
    for (int i = 0; i < m_domainList->count(); ++i) {
        if (m_domainList->item(i)->data(kDomainRole).toString() == name && m_domainList->currentRow() != i)
            m_domainList->setCurrentRow(i);
    }
    loadRuns();
    updateState();
}

void DnsChecksPanel::refreshDomainList()
{
    if (!m_currentDomain.isEmpty() && !m_domains.contains(m_currentDomain))
        m_currentDomain.clear();
    if (m_currentDomain.isEmpty() && !m_domains.isEmpty())
        m_currentDomain = m_domains.first();

    rd::dnscheck::DnsCheckHistory *db = history();
    const QSignalBlocker block(m_domainList);
    m_domainList->clear();
    for (const QString &d : std::as_const(m_domains)) {
        const QList<Report> last = db ? db->history(d, 1) : QList<Report>();
        auto *item = new QListWidgetItem(m_domainList);
        item->setData(kDomainRole, d);
        if (last.isEmpty()) {
            item->setIcon(dnsstyle::notCheckedIcon());
            item->setText(tr("%1\nnot checked yet").arg(d));
        } else {
            const Report &r = last.first();
            item->setIcon(dnsstyle::icon(r.worst()));
            item->setText(tr("%1\n%2").arg(d, r.when.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm"))));
            item->setToolTip(tr("Last run %1: %2").arg(dnsstyle::localTime(r.when), dnsstyle::countsText(r)));
        }
        if (d == m_currentDomain)
            m_domainList->setCurrentItem(item);
    }
    loadRuns();
}

void DnsChecksPanel::reloadHistory()
{
    refreshDomainList();
    updateState();
}

void DnsChecksPanel::loadRuns()
{
    const qint64 keepId = currentRun() >= 0 && currentRun() < m_runs.size() ? m_runs.at(currentRun()).id : -1;
    QString error;
    rd::dnscheck::DnsCheckHistory *db = history();
    m_runs = db && !m_currentDomain.isEmpty() ? db->history(m_currentDomain, HistoryLimit, &error) : QList<Report>();
    if (!db && m_historyDb)
        error = m_historyDb->errorString();

    const QSignalBlocker block(m_runList);
    m_runList->clear();
    int select = m_runs.isEmpty() ? -1 : 0;
    for (int i = 0; i < m_runs.size(); ++i) {
        const Report &r = m_runs.at(i);
        auto *item = new QListWidgetItem(dnsstyle::icon(r.worst()), dnsstyle::localTime(r.when), m_runList);
        item->setData(kRunRole, i);
        item->setToolTip(dnsstyle::countsText(r));
        if (r.id == keepId && !m_selectNewest)
            select = i;
    }
    m_selectNewest = false;
    if (select >= 0) {
        m_runList->setCurrentRow(select);
        showRun(select);
    } else if (!error.isEmpty()) {
        m_view->clear(tr("Cannot read the stored runs: %1").arg(error));
    } else {
        m_view->clear(m_currentDomain.isEmpty() ? tr("Add a domain you send mail from, then run the checks.")
                                                : tr("%1 has not been checked yet: use \u201cRun checks\u201d.")
                                                      .arg(m_currentDomain));
    }
}

void DnsChecksPanel::showRun(int index)
{
    if (index < 0 || index >= m_runs.size())
        return;
    if (m_runList->currentRow() != index) {
        const QSignalBlocker block(m_runList);
        m_runList->setCurrentRow(index);
    }
    m_view->setReport(m_runs.at(index), index + 1 < m_runs.size() ? &m_runs.at(index + 1) : nullptr);
    updateState();
}

// --- Running ------------------------------------------------------------

void DnsChecksPanel::runChecks()
{
    if (isRunning() || m_currentDomain.isEmpty())
        return;
    m_queue = {m_currentDomain};
    m_runTotal = 1;
    startNext();
}

void DnsChecksPanel::runAll()
{
    if (isRunning() || m_domains.isEmpty())
        return;
    m_queue = m_domains;
    m_runTotal = int(m_domains.size());
    startNext();
}

void DnsChecksPanel::startNext()
{
    if (m_queue.isEmpty()) {
        m_current.clear();
        updateState();
        return;
    }
    m_current = m_queue.takeFirst();
    m_progress->setRange(0, 0); // busy until the first progress report
    const int n = m_runTotal - int(m_queue.size());
    m_step->setText(m_runTotal > 1 ? tr("Checking %1 (%2 of %3)\u2026").arg(m_current).arg(n).arg(m_runTotal)
                                   : tr("Checking %1\u2026").arg(m_current));
    setStatus(QString());
    updateState();
    m_facade->runDnsCheck(m_current);
}

void DnsChecksPanel::onProgress(const QString &domain, const QString &step, int done, int total)
{
    if (domain.compare(m_current, Qt::CaseInsensitive) != 0)
        return;
    m_progress->setRange(0, qMax(1, total));
    m_progress->setValue(qBound(0, done, qMax(1, total)));
    const int n = m_runTotal - int(m_queue.size());
    const QString who = m_runTotal > 1 ? tr("%1 (%2 of %3)").arg(m_current).arg(n).arg(m_runTotal) : m_current;
    m_step->setText(tr("Checking %1: %2").arg(who, step));
}

void DnsChecksPanel::onFinished(const Report &report)
{
    const QString domain = report.domain.toLower();
    const bool mine = domain == m_current;
    if (report.id != 0) {
        if (domain == m_currentDomain)
            m_selectNewest = true;
        refreshDomainList(); // last result icons, and the runs of the current domain
    } else if (domain == m_currentDomain) {
        // Not stored (no engine, or the store failed): show it as it came.
        const QSignalBlocker block(m_runList);
        m_runList->clearSelection();
        m_runList->setCurrentRow(-1);
        m_view->setReport(report, nullptr);
    }
    if (!mine)
        return;
    if (report.id == 0)
        setStatus(tr("This run of %1 was not stored.").arg(domain), QLatin1String(kAmber));
    if (m_queue.isEmpty()) {
        m_current.clear();
        if (m_runTotal > 1 && report.id != 0)
            setStatus(tr("Checked %1 domains.").arg(m_runTotal), QLatin1String(kGreen));
        updateState();
        return;
    }
    QTimer::singleShot(0, this, &DnsChecksPanel::startNext);
}

// --- Export -------------------------------------------------------------

bool DnsChecksPanel::exportReport(const QString &path)
{
    if (!m_view->hasReport()) {
        setStatus(tr("There is no report to export: run the checks first."), QLatin1String(kRed));
        return false;
    }
    const QString shown = QDir::toNativeSeparators(path);
    QSaveFile file(path);
    if (path.isEmpty() || !file.open(QIODevice::WriteOnly | QIODevice::Text)) {
        setStatus(tr("Cannot write %1: %2").arg(shown, file.errorString()), QLatin1String(kRed));
        return false;
    }
    file.write(m_view->report().toText().toUtf8());
    if (!file.commit()) {
        setStatus(tr("Cannot write %1: %2").arg(shown, file.errorString()), QLatin1String(kRed));
        return false;
    }
    setStatus(tr("Saved the report to %1.").arg(shown), QLatin1String(kGreen));
    return true;
}

QFileDialog *DnsChecksPanel::openExportDialog()
{
    if (!m_view->hasReport())
        return nullptr;
    const Report &r = m_view->report();
    const QString name = QStringLiteral("dns-checks-%1-%2.txt")
                             .arg(r.domain, r.when.toLocalTime().toString(QStringLiteral("yyyyMMdd-HHmm")));
    auto *dialog = new QFileDialog(this, tr("Export DNS check report"), QDir::home().filePath(name),
                                   tr("Text files (*.txt);;All files (*)"));
    dialog->setObjectName(QStringLiteral("exportReportDialog"));
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setDefaultSuffix(QStringLiteral("txt"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QFileDialog::fileSelected, this, [this](const QString &path) { exportReport(path); });
    dialog->open();
    return dialog;
}

// --- Display ------------------------------------------------------------

void DnsChecksPanel::setStatus(const QString &text, const QString &colour)
{
    m_status->setText(text);
    m_status->setVisible(!text.isEmpty());
    m_status->setStyleSheet(colour.isEmpty() ? QString() : QStringLiteral("color: %1;").arg(colour));
}

void DnsChecksPanel::updateState()
{
    const bool idle = m_applying == Applying::None;
    const bool running = isRunning();

    m_settings->setApplyAllowed(m_hasConfig && idle);
    m_addDomain->setEnabled(m_hasConfig && idle && !m_newDomain->text().trimmed().isEmpty());
    m_removeDomain->setEnabled(m_hasConfig && idle && !m_currentDomain.isEmpty());
    m_run->setEnabled(!running && !m_currentDomain.isEmpty());
    m_runAll->setEnabled(!running && !m_domains.isEmpty());
    m_export->setEnabled(m_view->hasReport());
    m_progress->setVisible(running);
    m_step->setVisible(running);

    m_domainTitle->setText(m_currentDomain.isEmpty() ? tr("No sending domain selected") : m_currentDomain);
}

} // namespace rd::ui
