#include "certificates/certificatespanel.h"
#include "certificates/acmedialog.h"

#include "certificates/certificatemodel.h"
#include "certificates/certificaterequestdialog.h"
#include "certificates/certificatetext.h"
#include "certificates/csrviewdialog.h"
#include "certificates/dkimkeyspage.h"
#include "certificates/pemimportdialog.h"
#include "certificates/pkcs12importdialog.h"

#include "config/configsnapshot.h"
#include "engine/adminservice.h"
#include "engine/enginefacade.h"
#include "tls/certificatestore.h"

#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QSplitter>
#include <QStyle>
#include <QTabWidget>
#include <QTableView>
#include <QTextBrowser>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace rd::ui {

using rd::tls::CertificateInfo;

namespace {

constexpr int kRefreshIntervalMs = 60 * 60 * 1000; // expiry moves on: re-list hourly
constexpr auto kErrorColour = "#b01e1e";
constexpr auto kWarningColour = "#8a5a00";

enum PendingColumn { PendingName, PendingCommonName, PendingSans, PendingCreated };
enum PendingRole { PendingIdRole = Qt::UserRole + 1, PendingCsrRole };

// Best effort: overwrites this copy's characters before dropping it.
void wipe(QString &s)
{
    if (!s.isEmpty() && !s.isDetached())
        s = QString();
    s.fill(QChar(u'\0'));
    s.clear();
}

} // namespace

CertificatesPanel::CertificatesPanel(rd::engine::EngineFacade *facade, QWidget *parent)
    : QWidget(parent)
    , m_facade(facade)
    , m_model(new CertificateModel(this))
{
    setObjectName(QStringLiteral("certificatesPanel"));
    buildUi();

    rd::engine::AdminService *admin = m_facade->admin();
    connect(admin, &rd::engine::AdminService::certificatesListed, this, &CertificatesPanel::onListed);
    connect(admin, &rd::engine::AdminService::certificateActionFinished, this,
            &CertificatesPanel::onActionFinished);
    connect(admin, &rd::engine::AdminService::csrCreated, this, &CertificatesPanel::onCsrCreated);
    connect(m_facade, &rd::engine::EngineFacade::configLoaded, this, &CertificatesPanel::setConfig);
    connect(m_facade, &rd::engine::EngineFacade::configApplied, this, [this](bool ok) {
        if (ok) // listeners may now use other certificates
            m_facade->requestConfig();
    });

    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &CertificatesPanel::updateButtons);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &CertificatesPanel::showDetail);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &CertificatesPanel::showDetail);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &CertificatesPanel::showDetail);
    connect(m_pendingList, &QTreeWidget::itemSelectionChanged, this, &CertificatesPanel::updateButtons);

    auto *clock = new QTimer(this);
    clock->setInterval(kRefreshIntervalMs);
    connect(clock, &QTimer::timeout, this, &CertificatesPanel::refresh);
    clock->start();

    updateButtons();
    updateBanner();
    showDetail();
    refresh();
}

CertificatesPanel::~CertificatesPanel() = default;

void CertificatesPanel::buildUi()
{
    auto *title = new QLabel(tr("Certificates"), this);
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.5);
    titleFont.setBold(true);
    title->setFont(titleFont);

    auto *explanation = new QLabel(
        tr("A listener with a certificate offers TLS (STARTTLS, or implicit TLS as on port 465); SMTP AUTH "
           "needs it. Choose each listener's certificate in the Connectors panel. Private keys stay in "
           "this computer's data folder, readable by its owner only, and are never shown."),
        this);
    explanation->setObjectName(QStringLiteral("certificatesExplanation"));
    explanation->setWordWrap(true);

    m_banner = new QLabel(this);
    m_banner->setObjectName(QStringLiteral("certificateBanner"));
    m_banner->setWordWrap(true);
    m_banner->setTextFormat(Qt::PlainText);
    m_banner->setMargin(8);
    m_banner->hide();

    auto makeButton = [this](const QString &text, QStyle::StandardPixmap icon, const QString &objectName,
                             const QString &tip) {
        auto *b = new QPushButton(style()->standardIcon(icon), text, this);
        b->setObjectName(objectName);
        b->setToolTip(tip);
        return b;
    };
    m_pfxButton = makeButton(tr("Import PFX\u2026"), QStyle::SP_DialogOpenButton, QStringLiteral("importPfxButton"),
                             tr("Import a certificate with its key and chain from a PFX / PKCS#12 file"));
    m_pemButton = makeButton(tr("Import PEM\u2026"), QStyle::SP_DialogOpenButton, QStringLiteral("importPemButton"),
                             tr("Import a certificate, its chain and its key from PEM files"));
    m_selfSignedButton = makeButton(tr("Generate self-signed\u2026"), QStyle::SP_FileDialogNewFolder,
                                    QStringLiteral("generateSelfSignedButton"),
                                    tr("Create a key and a self-signed certificate here"));
    m_csrButton = makeButton(tr("Create CSR\u2026"), QStyle::SP_FileDialogDetailedView,
                             QStringLiteral("createCsrButton"),
                             tr("Create a key and a signing request to send to a certificate authority"));
    m_acmeButton = makeButton(tr("Order with ACME…"), QStyle::SP_BrowserReload, QStringLiteral("acmeButton"),
                              tr("Get a certificate from Let's Encrypt (or another ACME CA), renewed automatically"));
    m_removeButton = makeButton(tr("Remove"), QStyle::SP_TrashIcon, QStringLiteral("removeCertificateButton"),
                                tr("Delete the selected certificate and its key"));
    connect(m_pfxButton, &QPushButton::clicked, this, &CertificatesPanel::openPkcs12Dialog);
    connect(m_pemButton, &QPushButton::clicked, this, &CertificatesPanel::openPemDialog);
    connect(m_selfSignedButton, &QPushButton::clicked, this, &CertificatesPanel::openSelfSignedDialog);
    connect(m_csrButton, &QPushButton::clicked, this, &CertificatesPanel::openCsrDialog);
    connect(m_acmeButton, &QPushButton::clicked, this, &CertificatesPanel::openAcmeDialog);
    connect(m_removeButton, &QPushButton::clicked, this, &CertificatesPanel::removeSelected);

    auto *actionBar = new QHBoxLayout;
    actionBar->addWidget(m_pfxButton);
    actionBar->addWidget(m_pemButton);
    actionBar->addWidget(m_selfSignedButton);
    actionBar->addWidget(m_csrButton);
    actionBar->addWidget(m_acmeButton);
    actionBar->addStretch(1);
    actionBar->addWidget(m_removeButton);

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("certificateStatus"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setWordWrap(true);
    m_status->hide(); // shown with the first message

    // Table.
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("certificateTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideRight);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    auto *header = m_table->horizontalHeader();
    header->setStretchLastSection(true);
    header->setHighlightSections(false);
    header->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    const int columnWidths[CertificateModel::ColumnCount] = {150, 150, 190, 140, 170, 95, 120};
    for (int c = 0; c < CertificateModel::ColumnCount; ++c)
        m_table->setColumnWidth(c, columnWidths[c]);

    // Detail pane.
    m_detail = new QTextBrowser(this);
    m_detail->setObjectName(QStringLiteral("certificateDetail"));
    m_detail->setOpenLinks(false);

    // Pending signing requests.
    m_pendingList = new QTreeWidget(this);
    m_pendingList->setObjectName(QStringLiteral("pendingRequests"));
    m_pendingList->setRootIsDecorated(false);
    m_pendingList->setAlternatingRowColors(true);
    m_pendingList->setHeaderLabels({tr("Name"), tr("Common name"), tr("Alternative names"), tr("Created")});
    m_pendingList->setColumnWidth(PendingName, 160);
    m_pendingList->setColumnWidth(PendingCommonName, 180);
    m_pendingList->setColumnWidth(PendingSans, 240);

    m_showCsrButton = new QPushButton(tr("Show request\u2026"), this);
    m_showCsrButton->setObjectName(QStringLiteral("showCsrButton"));
    m_showCsrButton->setToolTip(tr("Show the request again to copy or save it"));
    m_importSignedButton = new QPushButton(style()->standardIcon(QStyle::SP_DialogOpenButton),
                                           tr("Import signed certificate\u2026"), this);
    m_importSignedButton->setObjectName(QStringLiteral("importSignedButton"));
    m_importSignedButton->setToolTip(tr("Complete the selected request with the certificate your CA sent "
                                        "(PEM, with its chain)"));
    m_discardButton = new QPushButton(style()->standardIcon(QStyle::SP_TrashIcon), tr("Discard"), this);
    m_discardButton->setObjectName(QStringLiteral("discardRequestButton"));
    m_discardButton->setToolTip(tr("Delete the selected request and its key"));
    connect(m_showCsrButton, &QPushButton::clicked, this, [this] {
        const QList<QTreeWidgetItem *> items = m_pendingList->selectedItems();
        if (!items.isEmpty())
            showCsr(items.first()->text(PendingName), items.first()->data(0, PendingCsrRole).toByteArray());
    });
    connect(m_importSignedButton, &QPushButton::clicked, this, &CertificatesPanel::importSignedForSelected);
    connect(m_discardButton, &QPushButton::clicked, this, &CertificatesPanel::discardSelectedPending);
    connect(m_pendingList, &QTreeWidget::itemDoubleClicked, m_showCsrButton, &QPushButton::click);

    auto *pendingButtons = new QHBoxLayout;
    pendingButtons->addWidget(m_importSignedButton);
    pendingButtons->addWidget(m_showCsrButton);
    pendingButtons->addStretch(1);
    pendingButtons->addWidget(m_discardButton);
    auto *pendingTab = new QWidget(this);
    auto *pendingLayout = new QVBoxLayout(pendingTab);
    pendingLayout->setContentsMargins(0, 4, 0, 0);
    pendingLayout->addWidget(m_pendingList, 1);
    pendingLayout->addLayout(pendingButtons);

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("certificateTabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(m_detail, tr("Details"));
    m_tabs->addTab(pendingTab, tr("Pending requests"));

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(m_table);
    splitter->addWidget(m_tabs);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);

    auto *tlsPage = new QWidget(this);
    tlsPage->setObjectName(QStringLiteral("tlsCertificatesPage"));
    auto *tlsLayout = new QVBoxLayout(tlsPage);
    tlsLayout->setContentsMargins(0, 6, 0, 0);
    tlsLayout->addWidget(explanation);
    tlsLayout->addWidget(m_banner);
    tlsLayout->addLayout(actionBar);
    tlsLayout->addWidget(m_status);
    tlsLayout->addWidget(splitter, 1);

    m_dkimKeys = new DkimKeysPage(m_facade, this);
    m_sections = new QTabWidget(this);
    m_sections->setObjectName(QStringLiteral("certificateSections"));
    m_sections->addTab(tlsPage, style()->standardIcon(QStyle::SP_DialogApplyButton), tr("TLS certificates"));
    m_sections->addTab(m_dkimKeys, style()->standardIcon(QStyle::SP_FileDialogContentsView), tr("DKIM keys"));

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addWidget(m_sections, 1);
}

CertificatesPanel::Section CertificatesPanel::currentSection() const
{
    return m_sections->currentWidget() == m_dkimKeys ? DkimSection : TlsSection;
}

void CertificatesPanel::showSection(Section section)
{
    m_sections->setCurrentWidget(section == DkimSection ? static_cast<QWidget *>(m_dkimKeys)
                                                        : m_sections->widget(0));
}

QString CertificatesPanel::selectedCertificateId() const
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.first().data(CertificateModel::IdRole).toString();
}

QString CertificatesPanel::selectedPendingId() const
{
    const QList<QTreeWidgetItem *> items = m_pendingList->selectedItems();
    return items.isEmpty() ? QString() : items.first()->data(0, PendingIdRole).toString();
}

QStringList CertificatesPanel::pendingIds() const
{
    QStringList ids;
    for (int i = 0; i < m_pendingList->topLevelItemCount(); ++i)
        ids << m_pendingList->topLevelItem(i)->data(0, PendingIdRole).toString();
    return ids;
}

QString CertificatesPanel::bannerText() const
{
    return m_banner->isHidden() ? QString() : m_banner->text();
}

void CertificatesPanel::refresh()
{
    m_facade->admin()->listCertificates();
    m_facade->requestConfig();
}

void CertificatesPanel::setConfig(const rd::config::ConfigSnapshot &config)
{
    m_config = config;
    m_model->setListeners(config.listeners);
    showDetail();
}

// --- Requests -------------------------------------------------------------

void CertificatesPanel::request(const QString &action, const QString &subject, const QString &working)
{
    m_pending.append({action, subject});
    setStatus(tr("Working\u2026 %1").arg(working), 0);
    updateButtons();
}

bool CertificatesPanel::readFile(const QString &path, QByteArray *data)
{
    const QString shown = QDir::toNativeSeparators(path);
    QFile file(path);
    if (path.isEmpty()) {
        setStatus(tr("No file chosen."), 2);
        return false;
    }
    if (!file.open(QIODevice::ReadOnly)) {
        setStatus(tr("Cannot read %1: %2").arg(shown, file.errorString()), 2);
        return false;
    }
    if (file.size() > MaxFileBytes) {
        setStatus(tr("%1 is too large (%2 bytes) to be a certificate or key file.")
                      .arg(shown, QLocale().toString(file.size())),
                  2);
        return false;
    }
    *data = file.readAll();
    if (data->isEmpty()) {
        setStatus(tr("%1 is empty.").arg(shown), 2);
        return false;
    }
    return true;
}

void CertificatesPanel::importPkcs12File(const QString &path, const QString &password, const QString &name)
{
    QByteArray pfx;
    if (!readFile(path, &pfx))
        return;
    const QString file = QFileInfo(path).fileName();
    request(QStringLiteral("import"), file, tr("importing %1").arg(file));
    m_facade->admin()->importPkcs12(pfx, password, name);
}

void CertificatesPanel::importPemFiles(const QString &certificatePath, const QString &keyPath,
                                       const QString &passphrase, const QString &name)
{
    QByteArray cert;
    QByteArray key;
    if (!readFile(certificatePath, &cert) || (!keyPath.isEmpty() && !readFile(keyPath, &key)))
        return;
    const QString file = QFileInfo(certificatePath).fileName();
    request(QStringLiteral("import"), file, tr("importing %1").arg(file));
    QByteArray pass = passphrase.toUtf8();
    m_facade->admin()->importPem(cert, key, pass, name);
    key.fill('\0');
    pass.fill('\0');
}

void CertificatesPanel::linkPemFiles(const QString &certificatePath, const QString &keyPath, const QString &name)
{
    const QString file = QFileInfo(certificatePath).fileName();
    request(QStringLiteral("link"), file, tr("linking %1").arg(file));
    m_facade->admin()->linkPem(QFileInfo(certificatePath).absoluteFilePath(),
                               keyPath.isEmpty() ? QString() : QFileInfo(keyPath).absoluteFilePath(), name);
}

void CertificatesPanel::generateSelfSigned(const QString &commonName, const QStringList &sans, int keyType,
                                           int days, const QString &name)
{
    request(QStringLiteral("generate"), commonName,
            tr("creating a %1 key and a self-signed certificate for %2").arg(CertificateText::keyTypeText(keyType), commonName));
    m_facade->admin()->generateSelfSigned(commonName, sans, keyType, days, name);
}

void CertificatesPanel::createCsr(const QString &commonName, const QStringList &sans, int keyType,
                                  const QString &name)
{
    request(QStringLiteral("csr"), commonName,
            tr("creating a %1 key and a signing request for %2").arg(CertificateText::keyTypeText(keyType), commonName));
    m_showNextCsr = true;
    m_facade->admin()->createCsr(commonName, sans, keyType, name);
}

void CertificatesPanel::importSignedFile(const QString &pendingId, const QString &path)
{
    QByteArray chain;
    if (!readFile(path, &chain))
        return;
    const QString file = QFileInfo(path).fileName();
    request(QStringLiteral("complete"), file, tr("importing %1").arg(file));
    m_facade->admin()->importSignedCertificate(pendingId, chain);
}

void CertificatesPanel::removeCertificate(const QString &id)
{
    QString subject = m_model->certificateAt(m_model->rowOf(id)).name;
    for (int i = 0; subject.isEmpty() && i < m_pendingList->topLevelItemCount(); ++i) {
        if (m_pendingList->topLevelItem(i)->data(0, PendingIdRole).toString() == id)
            subject = m_pendingList->topLevelItem(i)->text(PendingName);
    }
    if (subject.isEmpty())
        subject = id;
    request(QStringLiteral("remove"), subject, tr("removing %1").arg(subject));
    m_facade->admin()->removeCertificate(id);
}

// --- Dialogs --------------------------------------------------------------

Pkcs12ImportDialog *CertificatesPanel::openPkcs12Dialog()
{
    auto *dialog = new Pkcs12ImportDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        QString password = dialog->password();
        dialog->clearPassword();
        importPkcs12File(dialog->filePath(), password, dialog->displayName());
        wipe(password);
    });
    connect(dialog, &QDialog::rejected, dialog, &Pkcs12ImportDialog::clearPassword);
    dialog->open();
    return dialog;
}

PemImportDialog *CertificatesPanel::openPemDialog()
{
    auto *dialog = new PemImportDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        if (dialog->linkFiles()) {
            linkPemFiles(dialog->certificatePath(), dialog->keyPath(), dialog->displayName());
            return;
        }
        QString passphrase = dialog->passphrase();
        dialog->clearPassphrase();
        importPemFiles(dialog->certificatePath(), dialog->keyPath(), passphrase, dialog->displayName());
        wipe(passphrase);
    });
    connect(dialog, &QDialog::rejected, dialog, &PemImportDialog::clearPassphrase);
    dialog->open();
    return dialog;
}

AcmeDialog *CertificatesPanel::openAcmeDialog()
{
    auto *dialog = new AcmeDialog(m_facade, m_config, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &AcmeDialog::issued, this, [this](const QString &id) {
        m_selectAfterList = id;
        setStatus(tr("Certificate %1 issued over ACME; it renews by itself").arg(id), 0);
        refresh();
    });
    dialog->open();
    return dialog;
}

CertificateRequestDialog *CertificatesPanel::openSelfSignedDialog()
{
    auto *dialog = new CertificateRequestDialog(CertificateRequestDialog::SelfSigned, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        generateSelfSigned(dialog->commonName(), dialog->sans(), dialog->keyType(), dialog->days(),
                           dialog->displayName());
    });
    dialog->open();
    return dialog;
}

CertificateRequestDialog *CertificatesPanel::openCsrDialog()
{
    auto *dialog = new CertificateRequestDialog(CertificateRequestDialog::SigningRequest, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        createCsr(dialog->commonName(), dialog->sans(), dialog->keyType(), dialog->displayName());
    });
    dialog->open();
    return dialog;
}

CsrViewDialog *CertificatesPanel::showCsr(const QString &name, const QByteArray &csrPem)
{
    auto *dialog = new CsrViewDialog(name, csrPem, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
    return dialog;
}

void CertificatesPanel::importSignedForSelected()
{
    const QString id = selectedPendingId();
    if (id.isEmpty())
        return;
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Choose the signed certificate"), QDir::homePath(),
        tr("Certificates (*.pem *.crt *.cer);;All files (*)"));
    if (!path.isEmpty())
        importSignedFile(id, path);
}

QWidget *CertificatesPanel::removeSelected()
{
    const QString id = selectedCertificateId();
    if (id.isEmpty())
        return nullptr;
    const CertificateInfo info = m_model->certificateAt(m_model->rowOf(id));
    const QStringList users = m_model->usedBy(id);
    auto *box = new QMessageBox(users.isEmpty() ? QMessageBox::Question : QMessageBox::Warning,
                                tr("Remove certificate"), tr("Remove certificate %1 and its private key?").arg(info.name),
                                QMessageBox::Yes | QMessageBox::Cancel, this);
    box->setObjectName(QStringLiteral("removeCertificateConfirmation"));
    box->setInformativeText(
        users.isEmpty()
            ? tr("No listener uses it. This cannot be undone.")
            : tr("It is used by: %1. A listener whose certificate is missing does not start, so choose "
                 "another certificate for it in the Connectors panel first. This cannot be undone.")
                  .arg(users.join(QStringLiteral(", "))));
    box->setDefaultButton(QMessageBox::Cancel);
    box->button(QMessageBox::Yes)->setText(tr("Remove"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this, box, id] {
        if (box->clickedButton() == box->button(QMessageBox::Yes))
            removeCertificate(id);
    });
    box->open();
    return box;
}

QWidget *CertificatesPanel::discardSelectedPending()
{
    const QList<QTreeWidgetItem *> items = m_pendingList->selectedItems();
    if (items.isEmpty())
        return nullptr;
    const QString id = items.first()->data(0, PendingIdRole).toString();
    auto *box = new QMessageBox(QMessageBox::Question, tr("Discard signing request"),
                                tr("Discard the signing request %1 and its key?").arg(items.first()->text(PendingName)),
                                QMessageBox::Yes | QMessageBox::Cancel, this);
    box->setObjectName(QStringLiteral("discardRequestConfirmation"));
    box->setInformativeText(tr("A certificate the CA signs for this request can then no longer be imported."));
    box->setDefaultButton(QMessageBox::Cancel);
    box->button(QMessageBox::Yes)->setText(tr("Discard"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this, box, id] {
        if (box->clickedButton() == box->button(QMessageBox::Yes))
            removeCertificate(id);
    });
    box->open();
    return box;
}

// --- Display --------------------------------------------------------------

void CertificatesPanel::updateButtons()
{
    const bool busy = isBusy();
    for (QPushButton *b : {m_pfxButton, m_pemButton, m_selfSignedButton, m_csrButton})
        b->setEnabled(!busy);
    m_removeButton->setEnabled(!busy && !selectedCertificateId().isEmpty());
    const bool pending = !selectedPendingId().isEmpty();
    m_showCsrButton->setEnabled(pending);
    m_importSignedButton->setEnabled(!busy && pending);
    m_discardButton->setEnabled(!busy && pending);
}

void CertificatesPanel::updateBanner()
{
    QList<CertificateInfo> all;
    for (int r = 0; r < m_model->rowCount(); ++r)
        all << m_model->certificateAt(r);
    const QStringList lines = CertificateText::bannerLines(all, m_model->now());
    if (lines.isEmpty()) {
        m_banner->clear();
        m_banner->hide();
        return;
    }
    m_banner->setText(lines.join(QLatin1Char('\n')));
    const CertificateInfo::Expiry worst = m_model->worstExpiry();
    const QColor fg = CertificateModel::expiryForeground(worst);
    const QColor bg = CertificateModel::expiryBackground(worst);
    m_banner->setProperty("severity", worst == CertificateInfo::Warn30 ? QStringLiteral("warning")
                                                                       : QStringLiteral("error"));
    m_banner->setStyleSheet(QStringLiteral("QLabel#certificateBanner { color: %1; background: %2; "
                                           "border: 1px solid %1; border-radius: 4px; }")
                                .arg(fg.name(), bg.name()));
    m_banner->show();
}

void CertificatesPanel::showDetail()
{
    const QModelIndex current = m_table->selectionModel()->currentIndex();
    const int row = current.isValid() ? current.row() : -1;
    const CertificateInfo c = m_model->certificateAt(row);
    if (c.isNull()) {
        m_detail->setHtml(QStringLiteral("<p style='color:gray'>%1</p>")
                              .arg(tr("Select a certificate to see its details.").toHtmlEscaped()));
        return;
    }
    m_detail->setHtml(CertificateText::detailHtml(c, m_model->usedBy(c.id), m_model->now()));
}

void CertificatesPanel::setStatus(const QString &text, int level)
{
    m_status->setText(text);
    m_status->setVisible(!text.isEmpty());
    m_status->setProperty("level", level);
    m_status->setStyleSheet(level == 2   ? QStringLiteral("color: %1;").arg(QLatin1String(kErrorColour))
                            : level == 1 ? QStringLiteral("color: %1;").arg(QLatin1String(kWarningColour))
                                         : QString());
}

void CertificatesPanel::onListed(const rd::engine::CertificateList &list)
{
    m_model->setCertificates(list.certificates);
    if (!m_selectAfterList.isEmpty()) {
        const int row = m_model->rowOf(m_selectAfterList);
        if (row >= 0)
            m_table->selectRow(row);
        m_selectAfterList.clear();
    }

    // Pending requests: rebuilt (a handful at most), keeping the selection.
    QString keep = m_selectPendingAfterList.isEmpty() ? selectedPendingId() : m_selectPendingAfterList;
    m_selectPendingAfterList.clear();
    m_pendingList->clear();
    for (const rd::tls::PendingRequest &p : list.pending) {
        auto *item = new QTreeWidgetItem(
            {p.name, p.commonName, p.sans.join(QStringLiteral(", ")), CertificateText::localTime(p.created)});
        item->setData(0, PendingIdRole, p.id);
        item->setData(0, PendingCsrRole, p.csrPem);
        m_pendingList->addTopLevelItem(item);
        if (p.id == keep)
            item->setSelected(true);
    }
    m_tabs->setTabText(1, list.pending.isEmpty() ? tr("Pending requests")
                                                 : tr("Pending requests (%1)").arg(list.pending.size()));

    updateBanner();
    updateButtons();
    showDetail();
}

void CertificatesPanel::onActionFinished(const QString &action, const QString &id, bool ok,
                                         const QString &message, const QStringList &warnings)
{
    Pending p{action, id};
    for (int i = 0; i < m_pending.size(); ++i) {
        if (m_pending.at(i).action == action) {
            p = m_pending.takeAt(i);
            break;
        }
    }
    if (action == QLatin1String("csr") && !ok)
        m_showNextCsr = false;

    const QString text = CertificateText::actionResult(action, p.subject, ok, message, warnings);
    if (ok) {
        if (action == QLatin1String("csr")) {
            m_selectPendingAfterList = id;
            m_tabs->setCurrentIndex(1);
        } else if (action != QLatin1String("remove")) {
            m_selectAfterList = id;
            m_tabs->setCurrentIndex(0);
        }
    }
    setStatus(text, !ok ? 2 : warnings.isEmpty() ? 0 : 1);
    updateButtons();
}

void CertificatesPanel::onCsrCreated(const QString &pendingId, const QByteArray &csrPem)
{
    if (!m_showNextCsr)
        return;
    m_showNextCsr = false;
    QString name = pendingId;
    for (const Pending &p : m_pending) {
        if (p.action == QLatin1String("csr")) {
            name = p.subject;
            break;
        }
    }
    showCsr(name, csrPem);
}

} // namespace rd::ui
