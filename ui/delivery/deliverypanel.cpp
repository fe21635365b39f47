#include "delivery/deliverypanel.h"

#include "delivery/badmailmodel.h"

#include "config/settings.h"
#include "engine/enginefacade.h"

#include <QApplication>
#include <QCheckBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QStyle>
#include <QTableView>
#include <QTemporaryFile>
#include <QThreadPool>
#include <QTimer>
#include <QVBoxLayout>

#include <memory>
#include <vector>

namespace rd::ui {

namespace keys = rd::config::keys;
using rd::config::ConfigSnapshot;

namespace {

const QString kRed = QStringLiteral("#b01e1e");
const QString kGreen = QStringLiteral("#1b7a2b");
const QString kGray = QStringLiteral("#606060");

const rd::config::SettingDef *def(const char *key)
{
    return rd::config::findSetting(QString::fromLatin1(key));
}

QString tip(const char *key)
{
    const auto *d = def(key);
    return d ? d->description : QString();
}

QSpinBox *minutesBox(const QString &name, int min, int max, QWidget *parent)
{
    auto *b = new QSpinBox(parent);
    b->setObjectName(name);
    b->setRange(min, max);
    b->setSuffix(QCoreApplication::translate("DeliveryPanel", " min"));
    return b;
}

// Runs on a worker: exists, is a folder, a file can be created in it.
QString checkFolderOnDisk(const QString &path)
{
    const QFileInfo fi(path);
    if (!fi.exists())
        return QCoreApplication::translate("DeliveryPanel", "the folder %1 does not exist").arg(path);
    if (!fi.isDir())
        return QCoreApplication::translate("DeliveryPanel", "%1 is a file, not a folder").arg(path);
    QTemporaryFile probe(QDir(path).filePath(QStringLiteral(".relaydesk-write-test-XXXXXX")));
    if (!probe.open())
        return QCoreApplication::translate("DeliveryPanel", "the folder %1 is not writable for RelayDesk").arg(path);
    return {};
}

} // namespace

DeliveryPanel::DeliveryPanel(rd::engine::EngineFacade *facade, QWidget *parent)
    : QWidget(parent)
    , m_facade(facade)
{
    setObjectName(QStringLiteral("deliveryPanel"));
    auto *title = new QLabel(tr("Delivery"), this);
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.5);
    titleFont.setBold(true);
    title->setFont(titleFont);
    auto *explanation = new QLabel(tr("How outgoing mail is sent and retried, and the IIS SMTP folders: Pickup "
                                      "(files applications drop to be sent) and Badmail (what cannot be read or "
                                      "delivered)."),
                                   this);
    explanation->setWordWrap(true);

    // Identity.
    m_hostname = new QLineEdit(this);
    m_hostname->setObjectName(QStringLiteral("deliveryHostname"));
    m_hostname->setToolTip(tip(keys::kHostname));
    m_masquerade = new QLineEdit(this);
    m_masquerade->setObjectName(QStringLiteral("deliveryMasquerade"));
    m_masquerade->setPlaceholderText(tr("off"));
    m_masquerade->setToolTip(tip(keys::kMasqueradeDomain));
    m_maxHops = new QSpinBox(this);
    m_maxHops->setObjectName(QStringLiteral("deliveryMaxHops"));
    if (const auto *d = def(keys::kMaxHops))
        m_maxHops->setRange(int(d->min), int(d->max));
    m_maxHops->setToolTip(tip(keys::kMaxHops));
    m_ndrCopy = new QLineEdit(this);
    m_ndrCopy->setObjectName(QStringLiteral("deliveryNdrCopy"));
    m_ndrCopy->setPlaceholderText(tr("nobody"));
    m_ndrCopy->setToolTip(tip(keys::kNdrCopyTo));
    auto *identity = new QGroupBox(tr("Messages and identity"), this);
    auto *idForm = new QFormLayout(identity);
    idForm->addRow(tr("Fully-qualified domain name:"), m_hostname);
    idForm->addRow(tr("Masquerade domain:"), m_masquerade);
    idForm->addRow(tr("Maximum hop count:"), m_maxHops);
    idForm->addRow(tr("Send copy of Non-Delivery Report to:"), m_ndrCopy);

    // Retry (IIS "Outbound" fields).
    const char *names[4] = {"deliveryFirstRetry", "deliverySecondRetry", "deliveryThirdRetry",
                            "deliverySubsequentRetry"};
    for (int i = 0; i < 4; ++i) {
        m_retry[i] = minutesBox(QLatin1String(names[i]), 1, 1440, this);
        m_retry[i]->setToolTip(tip(keys::kRetrySchedule));
    }
    m_scheduleNote = new QLabel(this);
    m_scheduleNote->setObjectName(QStringLiteral("deliveryScheduleNote"));
    m_scheduleNote->setWordWrap(true);
    m_scheduleNote->setStyleSheet(QStringLiteral("color: #606060;"));
    // A wrapped label spanning a form row gets one line's height; the longest note takes two.
    m_scheduleNote->setMinimumHeight(2 * m_scheduleNote->fontMetrics().lineSpacing() + 2);
    m_expiration = minutesBox(QStringLiteral("deliveryExpiration"), 1, 43200, this);
    m_expiration->setToolTip(tip(keys::kMaxAge));
    m_delayNotify = minutesBox(QStringLiteral("deliveryDelayNotify"), 0, 43200, this);
    m_delayNotify->setSpecialValueText(tr("never"));
    m_delayNotify->setToolTip(tip(keys::kDelayWarning));
    auto *retry = new QGroupBox(tr("Outbound retries (as in IIS)"), this);
    auto *retryForm = new QFormLayout(retry);
    retryForm->setFieldGrowthPolicy(QFormLayout::FieldsStayAtSizeHint);
    retryForm->addRow(tr("First retry interval:"), m_retry[0]);
    retryForm->addRow(tr("Second retry interval:"), m_retry[1]);
    retryForm->addRow(tr("Third retry interval:"), m_retry[2]);
    retryForm->addRow(tr("Subsequent retry interval:"), m_retry[3]);
    retryForm->addRow(m_scheduleNote);
    retryForm->addRow(tr("Delay notification:"), m_delayNotify);
    retryForm->addRow(tr("Expiration timeout:"), m_expiration);

    // Folders.
    m_pickup = new QLineEdit(this);
    m_pickup->setObjectName(QStringLiteral("deliveryPickupDir"));
    m_pickup->setPlaceholderText(tr("off"));
    m_pickup->setToolTip(tip(keys::kPickupDirectory));
    m_badmail = new QLineEdit(this);
    m_badmail->setObjectName(QStringLiteral("deliveryBadmailDir"));
    m_badmail->setToolTip(tip(keys::kBadmailDirectory));
    m_badmail->setPlaceholderText(rd::pickup::Badmail::directoryFor(QString(), m_facade ? m_facade->dataDir() : QString()));
    m_retention = new QSpinBox(this);
    m_retention->setObjectName(QStringLiteral("deliveryBadmailRetention"));
    m_retention->setSuffix(tr(" days"));
    m_retention->setSpecialValueText(tr("forever"));
    if (const auto *d = def(keys::kBadmailRetentionDays))
        m_retention->setRange(int(d->min), int(d->max));
    m_retention->setToolTip(tip(keys::kBadmailRetentionDays));
    auto *folders = new QGroupBox(tr("Folders"), this);
    auto *folderForm = new QFormLayout(folders);
    folderForm->addRow(tr("Pickup folder:"), folderRow(m_pickup, tr("Pickup folder")));
    folderForm->addRow(tr("Badmail folder:"), folderRow(m_badmail, tr("Badmail folder")));
    folderForm->addRow(tr("Keep badmail for:"), m_retention);

    // Outbound TLS that cannot be silently downgraded (delivery by MX).
    m_mtaSts = new QCheckBox(tr("Apply recipient domains' MTA-STS policies (RFC 8461)"), this);
    m_mtaSts->setObjectName(QStringLiteral("deliveryMtaSts"));
    m_mtaSts->setToolTip(tip(keys::kMtaSts));
    m_dane = new QCheckBox(tr("DANE: check MX certificates against DNSSEC-signed TLSA records (RFC 7672)"), this);
    m_dane->setObjectName(QStringLiteral("deliveryDane"));
    m_dane->setToolTip(tip(keys::kDane));
    m_tlsRpt = new QCheckBox(tr("Send daily TLS-RPT reports to domains that ask for them (RFC 8460)"), this);
    m_tlsRpt->setObjectName(QStringLiteral("deliveryTlsRpt"));
    m_tlsRpt->setToolTip(tip(keys::kTlsRpt));
    m_dnsServers = new QLineEdit(this);
    m_dnsServers->setObjectName(QStringLiteral("deliveryDnsServers"));
    m_dnsServers->setPlaceholderText(tr("the system's resolvers"));
    m_dnsServers->setToolTip(tip(keys::kDnsServers));
    auto *daneNote = new QLabel(tr("DANE needs validating DNS servers (for example a local Unbound). Smart hosts "
                                   "use their connector's TLS setting."),
                                this);
    daneNote->setWordWrap(true);
    daneNote->setStyleSheet(QStringLiteral("color: #606060;"));
    auto *outTls = new QGroupBox(tr("Outbound TLS (delivery by MX)"), this);
    auto *outTlsLayout = new QVBoxLayout(outTls);
    outTlsLayout->addWidget(m_mtaSts);
    outTlsLayout->addWidget(m_dane);
    outTlsLayout->addWidget(m_tlsRpt);
    auto *dnsRow = new QFormLayout;
    dnsRow->addRow(tr("DNS servers:"), m_dnsServers);
    outTlsLayout->addLayout(dnsRow);
    outTlsLayout->addWidget(daneNote);

    // Badmail list.
    m_badmailModel = new BadmailModel(this);
    m_badmailView = new QTableView(this);
    m_badmailView->setObjectName(QStringLiteral("deliveryBadmailList"));
    m_badmailView->setModel(m_badmailModel);
    m_badmailView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_badmailView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_badmailView->verticalHeader()->hide();
    m_badmailView->horizontalHeader()->setStretchLastSection(true);
    m_badmailView->setMinimumHeight(140);
    m_badmailInfo = new QLabel(this);
    m_badmailInfo->setObjectName(QStringLiteral("deliveryBadmailInfo"));
    m_badmailInfo->setStyleSheet(QStringLiteral("color: #606060;"));
    auto *refresh = new QPushButton(style()->standardIcon(QStyle::SP_BrowserReload), tr("Refresh"), this);
    refresh->setObjectName(QStringLiteral("deliveryBadmailRefresh"));
    connect(refresh, &QPushButton::clicked, this, &DeliveryPanel::refreshBadmail);
    auto *badBox = new QGroupBox(tr("Badmail"), this);
    auto *badLayout = new QVBoxLayout(badBox);
    auto *badTop = new QHBoxLayout;
    badTop->addWidget(m_badmailInfo, 1);
    badTop->addWidget(refresh);
    badLayout->addLayout(badTop);
    badLayout->addWidget(m_badmailView, 1);

    // Status and buttons.
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("deliveryStatus"));
    m_status->setWordWrap(true);
    m_status->setTextFormat(Qt::PlainText);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_revert = new QPushButton(style()->standardIcon(QStyle::SP_DialogResetButton), tr("Revert"), this);
    m_revert->setObjectName(QStringLiteral("revertDelivery"));
    connect(m_revert, &QPushButton::clicked, this, &DeliveryPanel::revert);
    m_apply = new QPushButton(style()->standardIcon(QStyle::SP_DialogApplyButton), tr("Apply"), this);
    m_apply->setObjectName(QStringLiteral("applyDelivery"));
    connect(m_apply, &QPushButton::clicked, this, &DeliveryPanel::apply);
    auto *bottom = new QHBoxLayout;
    bottom->addWidget(m_status, 1);
    bottom->addWidget(m_revert, 0, Qt::AlignTop);
    bottom->addWidget(m_apply, 0, Qt::AlignTop);

    auto *columns = new QHBoxLayout;
    auto *left = new QVBoxLayout;
    left->addWidget(identity);
    left->addWidget(folders);
    left->addStretch(1);
    columns->addLayout(left, 1);
    auto *right = new QVBoxLayout;
    right->addWidget(retry);
    right->addWidget(outTls);
    right->addStretch(1);
    columns->addLayout(right, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addWidget(explanation);
    layout->addLayout(columns);
    layout->addWidget(badBox, 1);
    layout->addLayout(bottom);

    m_folderTimer = new QTimer(this);
    m_folderTimer->setSingleShot(true);
    m_folderTimer->setInterval(300);
    connect(m_folderTimer, &QTimer::timeout, this, &DeliveryPanel::checkFolders);
    for (QLineEdit *e : {m_hostname, m_masquerade, m_ndrCopy, m_pickup, m_badmail, m_dnsServers})
        connect(e, &QLineEdit::textChanged, this, &DeliveryPanel::onEdited);
    for (QSpinBox *s : {m_maxHops, m_retry[0], m_retry[1], m_retry[2], m_retry[3], m_expiration, m_delayNotify,
                        m_retention})
        connect(s, &QSpinBox::valueChanged, this, &DeliveryPanel::onEdited);
    for (QCheckBox *b : {m_mtaSts, m_dane, m_tlsRpt})
        connect(b, &QCheckBox::toggled, this, &DeliveryPanel::onEdited);

    if (m_facade) {
        connect(m_facade, &rd::engine::EngineFacade::configLoaded, this, &DeliveryPanel::setConfig);
        connect(m_facade, &rd::engine::EngineFacade::configApplied, this, &DeliveryPanel::onConfigApplied);
    }
    updateState();
    if (m_facade)
        m_facade->requestConfig();
}

DeliveryPanel::~DeliveryPanel() = default;

QWidget *DeliveryPanel::folderRow(QLineEdit *edit, const QString &title)
{
    auto *row = new QWidget(this);
    auto *h = new QHBoxLayout(row);
    h->setContentsMargins(0, 0, 0, 0);
    h->addWidget(edit, 1);
    auto *browse = new QPushButton(tr("Browse\u2026"), row);
    browse->setObjectName(edit->objectName() + QStringLiteral("Browse"));
    connect(browse, &QPushButton::clicked, this, [this, edit, title] {
        const QString dir = QFileDialog::getExistingDirectory(this, title, edit->text());
        if (!dir.isEmpty())
            edit->setText(QDir::toNativeSeparators(dir));
    });
    h->addWidget(browse);
    return row;
}

DeliveryPanel::Values DeliveryPanel::current() const
{
    Values v;
    v.hostname = m_hostname->text().trimmed();
    v.masquerade = m_masquerade->text().trimmed();
    v.maxHops = m_maxHops->value();
    v.retry.first = m_retry[0]->value();
    v.retry.second = m_retry[1]->value();
    v.retry.third = m_retry[2]->value();
    v.retry.subsequent = m_retry[3]->value();
    v.retry.stepsInSchedule = m_loaded.retry.stepsInSchedule;
    v.expirationMinutes = m_expiration->value();
    v.delayNotifyMinutes = m_delayNotify->value();
    v.ndrCopy = m_ndrCopy->text().trimmed();
    v.pickup = m_pickup->text().trimmed();
    v.badmail = m_badmail->text().trimmed();
    v.retentionDays = m_retention->value();
    v.mtaSts = m_mtaSts->isChecked();
    v.dane = m_dane->isChecked();
    v.tlsRpt = m_tlsRpt->isChecked();
    v.dnsServers = m_dnsServers->text().trimmed();
    return v;
}

void DeliveryPanel::showValues(const Values &v)
{
    std::vector<std::unique_ptr<QSignalBlocker>> blockers;
    for (QObject *o : std::initializer_list<QObject *>{m_hostname, m_masquerade, m_maxHops, m_retry[0], m_retry[1],
                                                       m_retry[2], m_retry[3], m_expiration, m_delayNotify, m_ndrCopy,
                                                       m_pickup, m_badmail, m_retention, m_mtaSts, m_dane,
                                                       m_tlsRpt, m_dnsServers})
        blockers.push_back(std::make_unique<QSignalBlocker>(o));
    m_hostname->setText(v.hostname);
    m_masquerade->setText(v.masquerade);
    m_maxHops->setValue(v.maxHops);
    m_retry[0]->setValue(v.retry.first);
    m_retry[1]->setValue(v.retry.second);
    m_retry[2]->setValue(v.retry.third);
    m_retry[3]->setValue(v.retry.subsequent);
    m_expiration->setValue(v.expirationMinutes);
    m_delayNotify->setValue(v.delayNotifyMinutes);
    m_ndrCopy->setText(v.ndrCopy);
    m_pickup->setText(v.pickup);
    m_badmail->setText(v.badmail);
    m_retention->setValue(v.retentionDays);
    m_mtaSts->setChecked(v.mtaSts);
    m_dane->setChecked(v.dane);
    m_tlsRpt->setChecked(v.tlsRpt);
    m_dnsServers->setText(v.dnsServers);
}

void DeliveryPanel::setConfig(const ConfigSnapshot &config)
{
    const bool edited = m_hasConfig && isDirty();
    m_config = config;
    Values v;
    v.hostname = config.stringValue(keys::kHostname);
    v.masquerade = config.stringValue(keys::kMasqueradeDomain);
    v.maxHops = int(config.intValue(keys::kMaxHops));
    m_loadedSchedule = config.stringValue(keys::kRetrySchedule);
    v.retry = retryFieldsFromSchedule(m_loadedSchedule);
    m_loadedMaxAge = config.intValue(keys::kMaxAge);
    v.expirationMinutes = int((m_loadedMaxAge + 59) / 60);
    m_loadedDelayWarning = config.intValue(keys::kDelayWarning);
    v.delayNotifyMinutes = int((m_loadedDelayWarning + 59) / 60);
    v.ndrCopy = config.stringValue(keys::kNdrCopyTo);
    v.pickup = config.stringValue(keys::kPickupDirectory);
    v.badmail = config.stringValue(keys::kBadmailDirectory);
    v.retentionDays = int(config.intValue(keys::kBadmailRetentionDays));
    v.mtaSts = config.boolValue(keys::kMtaSts);
    v.dane = config.boolValue(keys::kDane);
    v.tlsRpt = config.boolValue(keys::kTlsRpt);
    v.dnsServers = config.stringValue(keys::kDnsServers);
    m_loaded = v;
    const bool first = !m_hasConfig;
    m_hasConfig = true;
    if (!edited)
        showValues(v);
    checkFolders();
    if (first && isVisible())
        refreshBadmail();
    updateState();
}

bool DeliveryPanel::isDirty() const
{
    return m_hasConfig && !(current() == m_loaded);
}

QStringList DeliveryPanel::errors() const
{
    QStringList out;
    if (!m_hasConfig)
        return out;
    const Values v = current();
    auto add = [&](const QString &e) {
        if (!e.isEmpty())
            out << e;
    };
    add(checkHostName(v.hostname));
    const QString masq = checkDomainOrEmpty(v.masquerade);
    add(masq.isEmpty() ? QString() : tr("Masquerade domain: %1").arg(masq));
    const QString ndr = checkAddressOrEmpty(v.ndrCopy);
    add(ndr.isEmpty() ? QString() : tr("NDR copy: %1").arg(ndr));
    const QString pickupPath = checkFolderPath(v.pickup, true);
    add(pickupPath.isEmpty() ? QString() : tr("Pickup folder: %1").arg(pickupPath));
    const QString badPath = checkFolderPath(v.badmail, true);
    add(badPath.isEmpty() ? QString() : tr("Badmail folder: %1").arg(badPath));
    if (pickupPath.isEmpty() && m_checkedPath.value(QStringLiteral("pickup")) == v.pickup)
        add(m_folderErrors.value(QStringLiteral("pickup")).isEmpty()
                ? QString()
                : tr("Pickup folder: %1.").arg(m_folderErrors.value(QStringLiteral("pickup"))));
    if (badPath.isEmpty() && m_checkedPath.value(QStringLiteral("badmail")) == v.badmail)
        add(m_folderErrors.value(QStringLiteral("badmail")).isEmpty()
                ? QString()
                : tr("Badmail folder: %1.").arg(m_folderErrors.value(QStringLiteral("badmail"))));
    {
        ConfigSnapshot probe;
        QString dnsError;
        if (!probe.setValue(QString::fromLatin1(keys::kDnsServers), v.dnsServers, &dnsError))
            out << tr("DNS servers: %1").arg(dnsError);
    }
    if (!v.pickup.isEmpty() && !v.badmail.isEmpty()
        && QDir::cleanPath(QDir::fromNativeSeparators(v.pickup))
               == QDir::cleanPath(QDir::fromNativeSeparators(v.badmail)))
        out << tr("The Pickup and Badmail folders must not be the same folder.");
    return out;
}

ConfigSnapshot DeliveryPanel::pendingConfig() const
{
    ConfigSnapshot c = m_config;
    const Values v = current();
    QString error; // checked by errors(); bounds kept by the spin boxes
    c.setValue(QString::fromLatin1(keys::kHostname), v.hostname, &error);
    c.setValue(QString::fromLatin1(keys::kMasqueradeDomain), v.masquerade, &error);
    c.setValue(QString::fromLatin1(keys::kMaxHops), v.maxHops, &error);
    // Untouched fields keep the exact stored values (a 5-step schedule, odd seconds).
    if (!(v.retry == m_loaded.retry))
        c.setValue(QString::fromLatin1(keys::kRetrySchedule), scheduleFromRetryFields(v.retry), &error);
    if (v.expirationMinutes != m_loaded.expirationMinutes)
        c.setValue(QString::fromLatin1(keys::kMaxAge), qint64(v.expirationMinutes) * 60, &error);
    if (v.delayNotifyMinutes != m_loaded.delayNotifyMinutes)
        c.setValue(QString::fromLatin1(keys::kDelayWarning), qint64(v.delayNotifyMinutes) * 60, &error);
    c.setValue(QString::fromLatin1(keys::kNdrCopyTo), v.ndrCopy, &error);
    c.setValue(QString::fromLatin1(keys::kPickupDirectory), v.pickup, &error);
    c.setValue(QString::fromLatin1(keys::kBadmailDirectory), v.badmail, &error);
    c.setValue(QString::fromLatin1(keys::kBadmailRetentionDays), v.retentionDays, &error);
    c.setValue(QString::fromLatin1(keys::kMtaSts), v.mtaSts, &error);
    c.setValue(QString::fromLatin1(keys::kDane), v.dane, &error);
    c.setValue(QString::fromLatin1(keys::kTlsRpt), v.tlsRpt, &error);
    c.setValue(QString::fromLatin1(keys::kDnsServers), v.dnsServers, &error);
    return c;
}

bool DeliveryPanel::canApply() const
{
    return m_hasConfig && !m_applying && !isChecking() && errors().isEmpty() && (isDirty() || m_lastApplyFailed);
}

QString DeliveryPanel::statusText() const
{
    return m_status->text();
}

QString DeliveryPanel::badmailDirectory() const
{
    return rd::pickup::Badmail::directoryFor(QDir::fromNativeSeparators(m_badmail->text()),
                                 m_facade ? m_facade->dataDir() : QString());
}

void DeliveryPanel::apply()
{
    if (!canApply() || !m_facade)
        return;
    m_applying = true;
    m_resultText.clear();
    updateState();
    m_facade->applyConfig(pendingConfig()); // with no engine the answer comes inside this call
}

void DeliveryPanel::revert()
{
    showValues(m_loaded);
    m_resultText.clear();
    checkFolders();
    updateState();
}

void DeliveryPanel::onConfigApplied(bool ok, const QStringList &errors)
{
    if (!m_applying)
        return; // another panel's apply
    m_applying = false;
    m_lastApplyFailed = !ok;
    if (ok) {
        m_resultText = tr("Applied: new deliveries use these settings; the Pickup folder is watched at once.");
        m_resultColor = kGreen;
    } else {
        m_resultText = tr("Apply failed: %1").arg(errors.isEmpty() ? tr("unknown error")
                                                                   : errors.join(QStringLiteral("; ")));
        m_resultColor = kRed;
    }
    updateState();
    if (m_facade)
        m_facade->requestConfig();
}

void DeliveryPanel::setBadmailList(const QList<rd::pickup::BadmailItem> &items)
{
    m_badmailModel->setItems(items);
    m_badmailView->resizeColumnsToContents();
    m_badmailInfo->setText(items.isEmpty() ? tr("No badmail in %1.").arg(QDir::toNativeSeparators(badmailDirectory()))
                                           : tr("%n item(s) in %1, newest first.", nullptr, int(items.size()))
                                                 .arg(QDir::toNativeSeparators(badmailDirectory())));
}

void DeliveryPanel::refreshBadmail()
{
    m_badmailInfo->setText(tr("Reading %1\u2026").arg(QDir::toNativeSeparators(badmailDirectory())));
    emit badmailListRequested(badmailDirectory());
}

void DeliveryPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_hasConfig)
        refreshBadmail();
}

void DeliveryPanel::onEdited()
{
    m_folderTimer->start();
    updateState();
}

void DeliveryPanel::checkFolders()
{
    const Values v = current();
    const QList<QPair<QString, QString>> folders = {{QStringLiteral("pickup"), v.pickup},
                                                    {QStringLiteral("badmail"), v.badmail}};
    for (const auto &[key, path] : folders) {
        if (path.isEmpty() || !checkFolderPath(path, true).isEmpty()) {
            m_folderErrors.remove(key);
            m_checkedPath.remove(key);
            continue;
        }
        if (m_checkedPath.value(key) == path && m_checkedPath.contains(key))
            continue; // already known
        ++m_checksRunning;
        QPointer<DeliveryPanel> self(this);
        const QString k = key, p = path;
        QThreadPool::globalInstance()->start([self, k, p] {
            const QString error = checkFolderOnDisk(QDir::fromNativeSeparators(p));
            QMetaObject::invokeMethod(
                qApp, [self, k, p, error] {
                    if (self)
                        self->onFolderChecked(k, p, error);
                },
                Qt::QueuedConnection);
        });
    }
    updateState();
}

void DeliveryPanel::onFolderChecked(const QString &key, const QString &path, const QString &error)
{
    --m_checksRunning;
    m_checkedPath.insert(key, path);
    m_folderErrors.insert(key, error);
    updateState();
}

void DeliveryPanel::setStatus(const QString &text, const QString &color)
{
    m_status->setText(text);
    m_status->setStyleSheet(color.isEmpty() ? QString() : QStringLiteral("color: %1;").arg(color));
}

void DeliveryPanel::updateState()
{
    const bool dirty = isDirty();
    for (QWidget *w : findChildren<QGroupBox *>())
        w->setEnabled(m_hasConfig);
    m_revert->setEnabled(m_hasConfig && dirty && !m_applying);
    m_apply->setEnabled(canApply());
    const Values v = current();
    QString note;
    if (m_hasConfig && m_loaded.retry.stepsInSchedule > 4 && v.retry == m_loaded.retry)
        note = tr("The schedule has %1 steps (%2 s); changing a field replaces it with these four.")
                   .arg(m_loaded.retry.stepsInSchedule)
                   .arg(m_loadedSchedule);
    else
        note = tr("Then every %1 until the expiration timeout (%2).")
                   .arg(formatMinutes(v.retry.subsequent), formatMinutes(v.expirationMinutes));
    m_scheduleNote->setText(note);

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
        QString text = problems.join(QLatin1Char('\n'));
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
    if (isChecking())
        lines << tr("Checking the folders\u2026");
    else if (dirty)
        lines << tr("Changes are not applied yet: Apply makes them take effect, Revert discards them.");
    setStatus(lines.join(QLatin1Char('\n')), color);
}

} // namespace rd::ui
