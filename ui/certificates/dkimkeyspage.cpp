#include "certificates/dkimkeyspage.h"

#include "certificates/dkimkeydialog.h"
#include "certificates/dkimkeymodel.h"

#include "config/dkimkeystore.h"
#include "engine/adminservice.h"
#include "engine/enginefacade.h"
#include "mailauth/dkimkey.h"

#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFontDatabase>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QStyle>
#include <QTableView>
#include <QVBoxLayout>

namespace rd::ui {

using rd::config::DkimKeyInfo;
using rd::config::DkimKeyStore;

namespace {

constexpr auto kErrorColour = "#b01e1e";
constexpr auto kWarningColour = "#8a5a00";

QString keyName(const QString &domain, const QString &selector)
{
    return QStringLiteral("%1._domainkey.%2").arg(selector.trimmed().toLower(),
                                                  DkimKeyStore::normalizeDomain(domain.trimmed()));
}

QString quoted(const QString &s)
{
    QString out = s;
    out.replace(QLatin1Char('\\'), QLatin1String("\\\\"));
    out.replace(QLatin1Char('"'), QLatin1String("\\\""));
    return QLatin1Char('"') + out + QLatin1Char('"');
}

// A zone-file entry: one quoted string when it fits, else each string of at
// most 255 characters on its own line inside parentheses.
QString zoneText(const QString &name, const QString &value)
{
    const QStringList parts = rd::mailauth::splitTxtForDns(value);
    if (parts.size() <= 1)
        return QStringLiteral("%1. IN TXT %2").arg(name, quoted(value));
    QStringList lines{QStringLiteral("%1. IN TXT (").arg(name)};
    for (const QString &p : parts)
        lines << QStringLiteral("    ") + quoted(p);
    lines.last() += QStringLiteral(" )");
    return lines.join(QLatin1Char('\n'));
}

QPlainTextEdit *recordEdit(QWidget *parent, const QString &name, int lines)
{
    auto *e = new QPlainTextEdit(parent);
    e->setObjectName(name);
    e->setReadOnly(true);
    e->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    e->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    e->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    e->setWordWrapMode(QTextOption::WrapAnywhere);
    e->setFixedHeight(e->fontMetrics().lineSpacing() * lines + 12);
    return e;
}

} // namespace

DkimKeysPage::DkimKeysPage(rd::engine::EngineFacade *facade, QWidget *parent)
    : QWidget(parent)
    , m_facade(facade)
    , m_model(new DkimKeyModel(this))
{
    setObjectName(QStringLiteral("dkimKeysPage"));
    buildUi();

    rd::engine::AdminService *admin = m_facade->admin();
    connect(admin, &rd::engine::AdminService::dkimKeysListed, this, &DkimKeysPage::onListed);
    connect(admin, &rd::engine::AdminService::dkimActionFinished, this, &DkimKeysPage::onActionFinished);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        updateButtons();
        showRecord();
    });
    connect(m_model, &QAbstractItemModel::dataChanged, this, [this] {
        updateButtons();
        showRecord();
    });
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, [this] {
        updateButtons();
        showRecord();
    });

    updateButtons();
    showRecord();
    refresh();
}

DkimKeysPage::~DkimKeysPage() = default;

void DkimKeysPage::buildUi()
{
    auto *explanation = new QLabel(
        tr("DKIM signs the mail RelayDesk relays, so receivers can check it really comes from your domain. "
           "Mail whose From domain (or a parent domain) has an enabled key is signed. Publish each key's TXT "
           "record in DNS before enabling it. Private keys stay in this computer's data folder and are never "
           "shown."),
        this);
    explanation->setObjectName(QStringLiteral("dkimExplanation"));
    explanation->setWordWrap(true);

    auto makeButton = [this](const QString &text, QStyle::StandardPixmap icon, const QString &objectName,
                             const QString &tip) {
        auto *b = new QPushButton(style()->standardIcon(icon), text, this);
        b->setObjectName(objectName);
        b->setToolTip(tip);
        return b;
    };
    m_generateButton = makeButton(tr("Generate key\u2026"), QStyle::SP_FileDialogNewFolder,
                                  QStringLiteral("generateDkimKeyButton"),
                                  tr("Create a new signing key for a sender domain"));
    m_importButton = makeButton(tr("Import key\u2026"), QStyle::SP_DialogOpenButton,
                                QStringLiteral("importDkimKeyButton"),
                                tr("Use an existing private key (PEM file) you already publish"));
    m_enableButton = makeButton(tr("Disable"), QStyle::SP_MediaPause, QStringLiteral("enableDkimKeyButton"),
                                tr("Stop or resume signing with the selected key"));
    m_removeButton = makeButton(tr("Remove"), QStyle::SP_TrashIcon, QStringLiteral("removeDkimKeyButton"),
                                tr("Delete the selected key"));
    connect(m_generateButton, &QPushButton::clicked, this, &DkimKeysPage::openGenerateDialog);
    connect(m_importButton, &QPushButton::clicked, this, &DkimKeysPage::openImportDialog);
    connect(m_enableButton, &QPushButton::clicked, this, &DkimKeysPage::toggleSelectedEnabled);
    connect(m_removeButton, &QPushButton::clicked, this, &DkimKeysPage::removeSelected);

    auto *actionBar = new QHBoxLayout;
    actionBar->addWidget(m_generateButton);
    actionBar->addWidget(m_importButton);
    actionBar->addStretch(1);
    actionBar->addWidget(m_enableButton);
    actionBar->addWidget(m_removeButton);

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("dkimStatus"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setWordWrap(true);
    m_status->hide();

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("dkimKeyTable"));
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
    const int widths[DkimKeyModel::ColumnCount] = {150, 100, 90, 50, 125, 120, 200};
    for (int c = 0; c < DkimKeyModel::ColumnCount; ++c)
        m_table->setColumnWidth(c, widths[c]);

    // The record to publish.
    auto *record = new QGroupBox(tr("DNS record to publish"), this);
    m_recordBox = record;
    record->setObjectName(QStringLiteral("dkimRecordBox"));
    m_name = new QLineEdit(record);
    m_name->setObjectName(QStringLiteral("dkimRecordName"));
    m_name->setReadOnly(true);
    m_type = new QLineEdit(QStringLiteral("TXT"), record);
    m_type->setObjectName(QStringLiteral("dkimRecordType"));
    m_type->setReadOnly(true);
    m_type->setFixedWidth(fontMetrics().horizontalAdvance(QStringLiteral("TXTTXT")) + 12);
    m_value = recordEdit(record, QStringLiteral("dkimRecordValue"), 4);
    m_zone = recordEdit(record, QStringLiteral("dkimZoneText"), 4);
    m_zone->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_zone->setToolTip(tr("For a zone file or a DNS form that takes quoted strings: the value split into strings "
                          "of at most 255 characters (DNS joins them back)."));
    m_copyValue = new QPushButton(style()->standardIcon(QStyle::SP_DialogSaveButton), tr("Copy"), record);
    m_copyValue->setObjectName(QStringLiteral("copyDkimRecordButton"));
    m_copyValue->setToolTip(tr("Copy the record value (one string) for your DNS provider's form"));
    m_copyZone = new QPushButton(style()->standardIcon(QStyle::SP_DialogSaveButton), tr("Copy"), record);
    m_copyZone->setObjectName(QStringLiteral("copyDkimZoneButton"));
    m_copyZone->setToolTip(tr("Copy the zone-file lines"));
    connect(m_copyValue, &QPushButton::clicked, this, &DkimKeysPage::copyRecordValue);
    connect(m_copyZone, &QPushButton::clicked, this, &DkimKeysPage::copyZoneFileText);
    m_keyNote = new QLabel(record);
    m_keyNote->setObjectName(QStringLiteral("dkimKeyNote"));
    m_keyNote->setWordWrap(true);
    m_keyNote->setTextFormat(Qt::PlainText);

    auto *nameRow = new QHBoxLayout;
    nameRow->addWidget(m_name, 1);
    nameRow->addWidget(new QLabel(tr("Type:"), record));
    nameRow->addWidget(m_type);
    auto *grid = new QGridLayout(record);
    grid->addWidget(new QLabel(tr("Name:"), record), 0, 0);
    grid->addLayout(nameRow, 0, 1);
    grid->addWidget(new QLabel(tr("Value:"), record), 1, 0, Qt::AlignTop);
    grid->addWidget(m_value, 1, 1);
    grid->addWidget(m_copyValue, 1, 2, Qt::AlignTop);
    grid->addWidget(new QLabel(tr("Zone file:"), record), 2, 0, Qt::AlignTop);
    grid->addWidget(m_zone, 2, 1);
    grid->addWidget(m_copyZone, 2, 2, Qt::AlignTop);
    grid->addWidget(m_keyNote, 3, 0, 1, 3);
    grid->setColumnStretch(1, 1);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(m_table);
    splitter->addWidget(record);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 0);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 6, 0, 0);
    layout->addWidget(explanation);
    layout->addLayout(actionBar);
    layout->addWidget(m_status);
    layout->addWidget(splitter, 1);
}

// --- Queries --------------------------------------------------------------

DkimKeyInfo DkimKeysPage::selectedKey() const
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    return rows.isEmpty() ? DkimKeyInfo() : m_model->keyAt(rows.first().row());
}

QString DkimKeysPage::selectedName() const
{
    return selectedKey().dnsName;
}

bool DkimKeysPage::selectKey(const QString &dnsName)
{
    const int row = m_model->rowOf(dnsName);
    if (row < 0)
        return false;
    m_table->selectRow(row);
    return true;
}

QString DkimKeysPage::statusText() const
{
    return m_status->isHidden() ? QString() : m_status->text();
}

QString DkimKeysPage::recordName() const
{
    return m_name->text();
}

QString DkimKeysPage::recordValue() const
{
    return m_value->toPlainText();
}

QString DkimKeysPage::zoneFileText() const
{
    return m_zone->toPlainText();
}

// --- Requests -------------------------------------------------------------

void DkimKeysPage::refresh()
{
    m_facade->admin()->listDkimKeys();
}

bool DkimKeysPage::validate(const QString &domain, const QString &selector)
{
    QString why = DkimKeyStore::validateDomain(domain.trimmed());
    if (why.isEmpty())
        why = DkimKeyStore::validateSelector(selector.trimmed());
    if (!why.isEmpty())
        setStatus(why, 2);
    return why.isEmpty();
}

void DkimKeysPage::request(const QString &action, const QString &domain, const QString &selector,
                           const QString &working, const QString &done)
{
    m_pending.append({action, keyName(domain, selector), done});
    setStatus(tr("Working\u2026 %1").arg(working), 0);
    updateButtons();
}

void DkimKeysPage::generateKey(const QString &domain, const QString &selector, const QString &algorithm, int bits)
{
    if (!validate(domain, selector))
        return;
    const bool ed = algorithm.startsWith(QLatin1String("ed25519"));
    request(QStringLiteral("generate"), domain, selector,
            tr("generating an %1 key for %2").arg(ed ? tr("Ed25519") : tr("RSA %1-bit").arg(bits),
                                                 keyName(domain, selector)),
            tr("Generated %1.").arg(keyName(domain, selector)));
    m_facade->admin()->generateDkimKey(domain.trimmed(), selector.trimmed(), algorithm, bits);
}

void DkimKeysPage::importKeyFile(const QString &domain, const QString &selector, const QString &path)
{
    if (!validate(domain, selector))
        return;
    const QString shown = QDir::toNativeSeparators(path);
    if (path.isEmpty()) {
        setStatus(tr("No file chosen."), 2);
        return;
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        setStatus(tr("Cannot read %1: %2").arg(shown, file.errorString()), 2);
        return;
    }
    if (file.size() > MaxFileBytes) {
        setStatus(tr("%1 is too large (%2 bytes) to be a private key file.")
                      .arg(shown, QLocale().toString(file.size())),
                  2);
        return;
    }
    QByteArray pem = file.readAll();
    if (pem.trimmed().isEmpty()) {
        setStatus(tr("%1 is empty.").arg(shown), 2);
        return;
    }
    request(QStringLiteral("import"), domain, selector,
            tr("importing %1 as %2").arg(QFileInfo(path).fileName(), keyName(domain, selector)),
            tr("Imported %1.").arg(keyName(domain, selector)));
    m_facade->admin()->importDkimKey(domain.trimmed(), selector.trimmed(), pem);
    pem.fill('\0');
}

void DkimKeysPage::setKeyEnabled(const QString &domain, const QString &selector, bool enabled)
{
    request(QStringLiteral("enable"), domain, selector,
            enabled ? tr("enabling %1").arg(keyName(domain, selector))
                    : tr("disabling %1").arg(keyName(domain, selector)),
            enabled ? tr("Enabled %1: mail is signed with it.").arg(keyName(domain, selector))
                    : tr("Disabled %1: mail is no longer signed with it.").arg(keyName(domain, selector)));
    m_facade->admin()->setDkimKeyEnabled(domain, selector, enabled);
}

void DkimKeysPage::removeKey(const QString &domain, const QString &selector)
{
    request(QStringLiteral("remove"), domain, selector, tr("removing %1").arg(keyName(domain, selector)),
            tr("Removed %1.").arg(keyName(domain, selector)));
    m_facade->admin()->removeDkimKey(domain, selector);
}

// --- Dialogs and actions on the selection ---------------------------------

DkimKeyDialog *DkimKeysPage::openGenerateDialog()
{
    auto *dialog = new DkimKeyDialog(DkimKeyDialog::Generate, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    QStringList names;
    for (int r = 0; r < m_model->rowCount(); ++r)
        names << m_model->keyAt(r).dnsName;
    dialog->setExistingNames(names);
    const DkimKeyInfo current = selectedKey();
    if (!current.domain.isEmpty())
        dialog->setDomain(current.domain);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        generateKey(dialog->domain(), dialog->selector(), dialog->algorithm(), dialog->bits());
    });
    dialog->open();
    return dialog;
}

DkimKeyDialog *DkimKeysPage::openImportDialog()
{
    auto *dialog = new DkimKeyDialog(DkimKeyDialog::Import, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    QStringList names;
    for (int r = 0; r < m_model->rowCount(); ++r)
        names << m_model->keyAt(r).dnsName;
    dialog->setExistingNames(names);
    connect(dialog, &QDialog::accepted, this,
            [this, dialog] { importKeyFile(dialog->domain(), dialog->selector(), dialog->pemPath()); });
    dialog->open();
    return dialog;
}

void DkimKeysPage::toggleSelectedEnabled()
{
    const DkimKeyInfo k = selectedKey();
    if (k.dnsName.isEmpty())
        return;
    setKeyEnabled(k.domain, k.selector, !k.enabled);
}

QWidget *DkimKeysPage::removeSelected()
{
    const DkimKeyInfo k = selectedKey();
    if (k.dnsName.isEmpty())
        return nullptr;
    auto *box = new QMessageBox(QMessageBox::Question, tr("Remove DKIM key"),
                                tr("Remove the DKIM key %1?").arg(k.dnsName), QMessageBox::Yes | QMessageBox::Cancel,
                                this);
    box->setObjectName(QStringLiteral("removeDkimKeyConfirmation"));
    box->setInformativeText(
        tr("Mail from %1 is no longer signed with it, and the private key is deleted: this cannot be undone. "
           "Keep its TXT record in DNS for a few days, until mail already signed with it has been delivered.")
            .arg(k.domain));
    box->setDefaultButton(QMessageBox::Cancel);
    box->button(QMessageBox::Yes)->setText(tr("Remove"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    const QString domain = k.domain;
    const QString selector = k.selector;
    connect(box, &QMessageBox::finished, this, [this, box, domain, selector] {
        if (box->clickedButton() == box->button(QMessageBox::Yes))
            removeKey(domain, selector);
    });
    box->open();
    return box;
}

void DkimKeysPage::copyRecordValue()
{
    if (!recordValue().isEmpty())
        QApplication::clipboard()->setText(recordValue());
}

void DkimKeysPage::copyZoneFileText()
{
    if (!zoneFileText().isEmpty())
        QApplication::clipboard()->setText(zoneFileText());
}

// --- Display --------------------------------------------------------------

void DkimKeysPage::updateButtons()
{
    const bool busy = isBusy();
    m_generateButton->setEnabled(!busy);
    m_importButton->setEnabled(!busy);
    const DkimKeyInfo k = selectedKey();
    const bool selected = !k.dnsName.isEmpty();
    m_enableButton->setText(selected && !k.enabled ? tr("Enable") : tr("Disable"));
    m_enableButton->setIcon(style()->standardIcon(selected && !k.enabled ? QStyle::SP_MediaPlay
                                                                          : QStyle::SP_MediaPause));
    m_enableButton->setEnabled(!busy && selected && (k.problem.isEmpty() || k.enabled));
    m_removeButton->setEnabled(!busy && selected);
}

void DkimKeysPage::showRecord()
{
    const DkimKeyInfo k = selectedKey();
    const bool has = !k.dnsName.isEmpty() && !k.dnsRecord.isEmpty();
    m_name->setText(k.dnsName);
    m_value->setPlainText(has ? k.dnsRecord : QString());
    m_zone->setPlainText(has ? zoneText(k.dnsName, k.dnsRecord) : QString());
    m_copyValue->setEnabled(has);
    m_copyZone->setEnabled(has);

    QString note;
    QString colour;
    if (k.dnsName.isEmpty()) {
        note = m_model->rowCount() == 0 ? tr("No DKIM keys yet: use \u201cGenerate key\u2026\u201d.")
                                        : tr("Select a key to see the record to publish.");
        colour = QStringLiteral("gray");
    } else if (!k.problem.isEmpty()) {
        note = tr("This key cannot be used: %1").arg(k.problem);
        colour = QLatin1String(kErrorColour);
    } else {
        const int strings = int(rd::mailauth::splitTxtForDns(k.dnsRecord).size());
        if (strings > 1)
            note = tr("%1 characters: DNS stores the value as %2 strings of at most 255. DNS providers' forms "
                      "take the whole value; a zone file needs the quoted strings.")
                       .arg(k.dnsRecord.size())
                       .arg(strings);
        if (k.algorithm.startsWith(QLatin1String("ed25519")))
            note = tr("Ed25519: not every receiver verifies it, so keep an RSA key for %1 as well.").arg(k.domain);
        if (!k.enabled) {
            note = tr("Disabled: mail is not signed with this key. %1").arg(note).trimmed();
            colour = QLatin1String(kWarningColour);
        }
    }
    m_keyNote->setText(note);
    m_keyNote->setStyleSheet(colour.isEmpty() ? QString() : QStringLiteral("color: %1;").arg(colour));
    m_keyNote->setVisible(!note.isEmpty());
    // The record box keeps room for everything it shows; the table gets the rest.
    m_recordBox->setMinimumHeight(m_recordBox->sizeHint().height());
}

void DkimKeysPage::setStatus(const QString &text, int level)
{
    m_status->setText(text);
    m_status->setVisible(!text.isEmpty());
    m_status->setProperty("level", level);
    m_status->setStyleSheet(level == 2   ? QStringLiteral("color: %1;").arg(QLatin1String(kErrorColour))
                            : level == 1 ? QStringLiteral("color: %1;").arg(QLatin1String(kWarningColour))
                                         : QString());
}

void DkimKeysPage::onListed(const QList<DkimKeyInfo> &keys, const QString &error)
{
    const QString keep = m_selectAfterList.isEmpty() ? selectedName() : m_selectAfterList;
    m_selectAfterList.clear();
    m_model->setKeys(keys);
    if (!keep.isEmpty() && !selectKey(keep))
        m_table->clearSelection();
    if (!error.isEmpty())
        setStatus(tr("Cannot list the DKIM keys: %1").arg(error), 2);
    updateButtons();
    showRecord();
}

void DkimKeysPage::onActionFinished(const QString &action, const QString &name, bool ok, const QString &message)
{
    int index = -1;
    for (int i = 0; i < m_pending.size() && index < 0; ++i) {
        if (m_pending.at(i).action == action && m_pending.at(i).name == name)
            index = i;
    }
    for (int i = 0; i < m_pending.size() && index < 0; ++i) {
        if (m_pending.at(i).action == action)
            index = i;
    }
    if (index < 0)
        return; // another view's request; the listing that follows updates us
    const Pending p = m_pending.takeAt(index);
    QString text;
    if (!ok) {
        const QString what = action == QLatin1String("generate") ? tr("Generating %1 failed")
                           : action == QLatin1String("import")   ? tr("Importing %1 failed")
                           : action == QLatin1String("remove")   ? tr("Removing %1 failed")
                                                                 : tr("Changing %1 failed");
        text = tr("%1: %2").arg(what.arg(name), message.isEmpty() ? tr("unknown error") : message);
    } else {
        text = p.done;
        if (action == QLatin1String("generate") || action == QLatin1String("import")) {
            m_selectAfterList = name;
            text += QLatin1Char(' ') + tr("Publish its TXT record (below) in DNS.");
        }
    }
    setStatus(text, ok ? 0 : 2);
    updateButtons();
}

} // namespace rd::ui
