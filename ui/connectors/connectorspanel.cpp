#include "connectors/connectorspanel.h"

#include "connectors/listenergroupsdialog.h"
#include "connectors/listenerlimits.h"
#include "connectors/sendconnectorsbox.h"
#include "engine/adminservice.h"
#include "engine/enginefacade.h"

#include <QColor>
#include <QComboBox>
#include <QDateTime>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPersistentModelIndex>
#include <QPushButton>
#include <QSpinBox>
#include <QStyle>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <functional>

namespace rd::ui {

using rd::config::ConfigSnapshot;
using rd::config::ListenerConfig;

namespace {

const QString kRed = QStringLiteral("#b01e1e");
const QString kGreen = QStringLiteral("#1b7a2b");
const QString kGray = QStringLiteral("#606060");
const QColor kSelectedError(176, 30, 30);

// Combo boxes for Mode, Role and Certificate (choices from the model's
// ChoicesRole: show the label, store the value), a 1-65535 spin box for Port,
// 0-max spin boxes ("global" at 0) for the recipient and session limits and a
// line edit for the size (exact octets, or "10 MB"; the model validates).
// The relay groups have no in-cell editor: editing the cell opens the panel's
// ListenerGroupsDialog (openGroups), once the event that started it is done.
class ListenerDelegate : public QStyledItemDelegate {
public:
    ListenerDelegate(std::function<void(int)> openGroups, QObject *parent)
        : QStyledItemDelegate(parent)
        , m_openGroups(std::move(openGroups))
    {
    }

    // An invalid cell stays visibly red while selected.
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override
    {
        QStyledItemDelegate::initStyleOption(option, index);
        if (!index.data(ListenerModel::ErrorRole).toString().isEmpty()) {
            option->palette.setColor(QPalette::Highlight, kSelectedError);
            option->palette.setColor(QPalette::HighlightedText, Qt::white);
        }
    }

    QWidget *createEditor(QWidget *parent, const QStyleOptionViewItem &option,
                          const QModelIndex &index) const override
    {
        if (index.column() == ListenerModel::RelayGroups) {
            const QPersistentModelIndex target(index);
            QTimer::singleShot(0, parent, [open = m_openGroups, target] {
                if (target.isValid())
                    open(target.row());
            });
            return nullptr;
        }
        const QVariant choices = index.data(ListenerModel::ChoicesRole);
        if (choices.isValid()) {
            auto *combo = new QComboBox(parent);
            combo->setObjectName(QStringLiteral("listenerCombo%1").arg(index.column()));
            const QVariantList list = choices.toList();
            for (const QVariant &c : list) {
                const QVariantMap m = c.toMap();
                combo->addItem(m.value(QStringLiteral("label")).toString(), m.value(QStringLiteral("value")));
            }
            auto *self = const_cast<ListenerDelegate *>(this);
            // A choice takes effect at once, without leaving the cell first.
            QObject::connect(combo, &QComboBox::activated, self, [self, combo] {
                emit self->commitData(combo);
                emit self->closeEditor(combo);
            });
            return combo;
        }
        if (index.column() == ListenerModel::Port) {
            auto *spin = new QSpinBox(parent);
            spin->setRange(1, 65535);
            spin->setFrame(false);
            return spin;
        }
        if (index.column() == ListenerModel::MaxRecipients || index.column() == ListenerModel::MaxSessionsPerIp) {
            auto *spin = new QSpinBox(parent);
            spin->setObjectName(QStringLiteral("listenerLimit%1").arg(index.column()));
            spin->setRange(0, int(ListenerLimits::maximum(index.column() == ListenerModel::MaxRecipients
                                                              ? ListenerLimits::Recipients
                                                              : ListenerLimits::SessionsPerIp)));
            spin->setSpecialValueText(ListenerModel::tr("global"));
            spin->setFrame(false);
            spin->setAlignment(Qt::AlignRight);
            return spin;
        }
        if (index.column() == ListenerModel::MaxMessageSize) {
            auto *edit = new QLineEdit(parent);
            edit->setObjectName(QStringLiteral("listenerMaxSize"));
            edit->setPlaceholderText(ListenerModel::tr("0 = global"));
            edit->setFrame(false);
            edit->setAlignment(Qt::AlignRight);
            return edit;
        }
        return QStyledItemDelegate::createEditor(parent, option, index);
    }

    void setEditorData(QWidget *editor, const QModelIndex &index) const override
    {
        if (auto *combo = qobject_cast<QComboBox *>(editor)) {
            const int i = combo->findData(index.data(Qt::EditRole).toString());
            combo->setCurrentIndex(std::max(0, i));
            return;
        }
        if (auto *spin = qobject_cast<QSpinBox *>(editor)) {
            spin->setValue(std::max(spin->minimum(), index.data(Qt::EditRole).toInt()));
            return;
        }
        if (auto *edit = qobject_cast<QLineEdit *>(editor); edit && index.column() == ListenerModel::MaxMessageSize) {
            edit->setText(QString::number(index.data(Qt::EditRole).toLongLong())); // exact octets
            edit->selectAll();
            return;
        }
        QStyledItemDelegate::setEditorData(editor, index);
    }

    void setModelData(QWidget *editor, QAbstractItemModel *model, const QModelIndex &index) const override
    {
        if (auto *combo = qobject_cast<QComboBox *>(editor)) {
            if (combo->currentIndex() >= 0 && combo->currentData() != index.data(Qt::EditRole))
                model->setData(index, combo->currentData(), Qt::EditRole);
            return;
        }
        if (auto *spin = qobject_cast<QSpinBox *>(editor)) {
            spin->interpretText();
            if (spin->value() != index.data(Qt::EditRole).toInt())
                model->setData(index, spin->value(), Qt::EditRole);
            return;
        }
        if (auto *edit = qobject_cast<QLineEdit *>(editor); edit && index.column() == ListenerModel::MaxMessageSize) {
            if (edit->text().trimmed() != index.data(Qt::EditRole).toString())
                model->setData(index, edit->text(), Qt::EditRole);
            return;
        }
        QStyledItemDelegate::setModelData(editor, model, index);
    }

private:
    std::function<void(int)> m_openGroups;
};

QString endpoint(const ListenerConfig &l)
{
    return l.address.contains(QLatin1Char(':')) ? QStringLiteral("[%1]:%2").arg(l.address).arg(l.port)
                                                : QStringLiteral("%1:%2").arg(l.address).arg(l.port);
}

} // namespace

ConnectorsPanel::ConnectorsPanel(rd::engine::EngineFacade *facade, QWidget *parent)
    : QWidget(parent)
    , m_facade(facade)
    , m_model(new ListenerModel(this))
{
    setObjectName(QStringLiteral("connectorsPanel"));
    buildUi();

    connect(m_model, &ListenerModel::stateChanged, this, &ConnectorsPanel::updateState);
    connect(m_send->model(), &SendConnectorModel::stateChanged, this, &ConnectorsPanel::updateState);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &ConnectorsPanel::updateState);
    connect(m_facade, &rd::engine::EngineFacade::configLoaded, this, &ConnectorsPanel::setConfig);
    connect(m_facade, &rd::engine::EngineFacade::configApplied, this, &ConnectorsPanel::onConfigApplied);
    connect(m_facade, &rd::engine::EngineFacade::statusChanged, this, &ConnectorsPanel::updateState);
    connect(m_facade->admin(), &rd::engine::AdminService::certificatesListed, this,
            &ConnectorsPanel::onCertificatesListed);

    updateState();
    m_facade->requestConfig();
    m_facade->admin()->listCertificates();
}

ConnectorsPanel::~ConnectorsPanel() = default;

SendConnectorModel *ConnectorsPanel::sendModel() const
{
    return m_send->model();
}

void ConnectorsPanel::buildUi()
{
    auto *title = new QLabel(tr("Connectors"), this);
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.5);
    titleFont.setBold(true);
    title->setFont(titleFont);

    // Receive connectors.
    auto *receive = new QGroupBox(tr("Receive connectors"), this);
    receive->setObjectName(QStringLiteral("receiveConnectors"));
    auto *intro = new QLabel(tr("Where RelayDesk accepts mail. Changes take effect when you apply them, without a "
                                "restart; sessions already open finish undisturbed. Double-click a cell to edit "
                                "it; * marks a changed row, + a new one."),
                             receive);
    intro->setWordWrap(true);

    m_table = new QTableView(receive);
    m_table->setObjectName(QStringLiteral("listenerTable"));
    m_table->setModel(m_model);
    m_table->setItemDelegate(new ListenerDelegate([this](int row) { editRelayGroups(row); }, m_table));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::SelectedClicked
                             | QAbstractItemView::EditKeyPressed | QAbstractItemView::AnyKeyPressed);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 12);
    m_table->verticalHeader()->setMinimumWidth(fontMetrics().horizontalAdvance(QStringLiteral("+")) + 14);
    m_table->verticalHeader()->setDefaultAlignment(Qt::AlignCenter);
    auto *header = m_table->horizontalHeader();
    header->setStretchLastSection(true);
    header->setHighlightSections(false);
    header->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    const int widths[ListenerModel::ColumnCount] = {100, 80, 50, 125, 130, 130, 95, 100, 100, 85, 235, 170, 190};
    for (int c = 0; c < ListenerModel::ColumnCount; ++c)
        m_table->setColumnWidth(c, widths[c]);

    m_addButton = new QPushButton(style()->standardIcon(QStyle::SP_FileDialogNewFolder), tr("Add"), receive);
    m_addButton->setObjectName(QStringLiteral("addListener"));
    m_addButton->setToolTip(tr("Add a listener from a preset; edit its cells afterwards"));
    auto *presets = new QMenu(m_addButton);
    const char *presetNames[ListenerModel::PresetCount] = {"presetRelay", "presetSubmission", "presetSubmissionTls"};
    for (int p = 0; p < ListenerModel::PresetCount; ++p) {
        QAction *a = presets->addAction(ListenerModel::presetLabel(ListenerModel::Preset(p)));
        a->setObjectName(QLatin1String(presetNames[p]));
        connect(a, &QAction::triggered, this, [this, p] { addPreset(ListenerModel::Preset(p)); });
    }
    m_addButton->setMenu(presets);

    m_removeButton = new QPushButton(style()->standardIcon(QStyle::SP_TrashIcon), tr("Remove"), receive);
    m_removeButton->setObjectName(QStringLiteral("removeListener"));
    m_removeButton->setToolTip(tr("Remove the selected listeners (after Apply)"));
    connect(m_removeButton, &QPushButton::clicked, this, &ConnectorsPanel::removeSelected);

    m_revertButton = new QPushButton(style()->standardIcon(QStyle::SP_DialogResetButton), tr("Revert"), this);
    m_revertButton->setObjectName(QStringLiteral("revertConnectors"));
    m_revertButton->setToolTip(tr("Discard the changes to receive and send connectors and show those in force"));
    connect(m_revertButton, &QPushButton::clicked, this, &ConnectorsPanel::revert);

    m_applyButton = new QPushButton(style()->standardIcon(QStyle::SP_DialogApplyButton), tr("Apply"), this);
    m_applyButton->setObjectName(QStringLiteral("applyConnectors"));
    m_applyButton->setToolTip(tr("Save the receive and send connectors and use them now, without a restart"));
    connect(m_applyButton, &QPushButton::clicked, this, &ConnectorsPanel::apply);

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("connectorsStatus"));
    m_status->setWordWrap(true);
    m_status->setTextFormat(Qt::PlainText);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_addButton);
    buttons->addWidget(m_removeButton);
    buttons->addStretch(1);

    auto *receiveLayout = new QVBoxLayout(receive);
    receiveLayout->addWidget(intro);
    receiveLayout->addWidget(m_table, 1);
    receiveLayout->addLayout(buttons);

    m_send = new SendConnectorsBox(m_facade, this);

    // Shared by both sides.
    auto *applyRow = new QHBoxLayout;
    applyRow->addWidget(m_status, 1);
    applyRow->addWidget(m_revertButton, 0, Qt::AlignTop);
    applyRow->addWidget(m_applyButton, 0, Qt::AlignTop);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addWidget(receive, 2);
    layout->addWidget(m_send, 3);
    layout->addLayout(applyRow);
}

ConfigSnapshot ConnectorsPanel::pendingConfig() const
{
    ConfigSnapshot c = m_config;
    c.listeners = m_model->listeners();
    c.sendConnectors = m_send->model()->connectors();
    return c;
}

bool ConnectorsPanel::canApply() const
{
    const SendConnectorModel *send = m_send->model();
    return m_hasConfig && !m_applying && !m_model->hasErrors() && !send->hasErrors()
        && (m_model->isDirty() || send->isDirty() || m_lastApplyFailed);
}

void ConnectorsPanel::setConfig(const ConfigSnapshot &config)
{
    m_config = config;
    m_hasConfig = true;
    m_send->setConfig(config);
    m_model->setGlobalLimits(config.intValue(ListenerLimits::settingKey(ListenerLimits::MessageSize)),
                             int(config.intValue(ListenerLimits::settingKey(ListenerLimits::Recipients))),
                             int(config.intValue(ListenerLimits::settingKey(ListenerLimits::SessionsPerIp))));
    if (!m_model->isDirty() || m_model->listeners() == config.listeners)
        m_model->load(config.listeners);
    else
        m_model->rebase(config.listeners); // keep the edits, take over relay lists applied elsewhere
    updateState();
}

void ConnectorsPanel::addPreset(ListenerModel::Preset preset)
{
    if (!m_hasConfig)
        return;
    const int row = m_model->addListener(m_model->preset(preset, defaultCertificate()));
    const QModelIndex name = m_model->index(row, ListenerModel::Name);
    m_table->setCurrentIndex(name);
    m_table->scrollTo(name);
    if (m_table->isVisible())
        m_table->edit(name);
}

QString ConnectorsPanel::defaultCertificate() const
{
    // The certificate with the most time left; none if the list is empty or all expired.
    const QDateTime now = QDateTime::currentDateTimeUtc();
    QString best;
    QDateTime bestEnd;
    for (const auto &c : m_model->certificates()) {
        if (c.notAfter > now && (best.isEmpty() || c.notAfter > bestEnd)) {
            best = c.id;
            bestEnd = c.notAfter;
        }
    }
    return best;
}

void ConnectorsPanel::editRelayGroups(int row)
{
    if (!m_hasConfig || m_applying || row < 0 || row >= m_model->rowCount())
        return;
    if (m_groupsDialog)
        m_groupsDialog->close();
    const QModelIndex cell = m_model->index(row, ListenerModel::RelayGroups);
    auto *dialog = new ListenerGroupsDialog(cell.data(ListenerModel::NameRole).toString(),
                                            cell.data(ListenerModel::RelayGroupsRole).toStringList(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    m_groupsDialog = dialog;
    const QPersistentModelIndex target(cell);
    connect(dialog, &QDialog::accepted, this, [this, dialog, target] {
        // The row may be gone (reloaded or removed) while the dialog was open.
        if (target.isValid() && !m_applying)
            m_model->setData(target, dialog->groups(), Qt::EditRole);
    });
    dialog->open();
}

void ConnectorsPanel::removeSelected()
{
    QList<int> rows;
    const QModelIndexList selected = m_table->selectionModel()->selectedRows();
    for (const QModelIndex &i : selected)
        rows << i.row();
    std::sort(rows.begin(), rows.end(), std::greater<int>());
    for (int r : rows)
        m_model->removeRows(r, 1);
}

void ConnectorsPanel::apply()
{
    if (!canApply())
        return;
    m_applying = true;
    m_resultText.clear();
    updateState();
    // With no engine the facade answers at once, inside this call.
    m_facade->applyConfig(pendingConfig());
}

void ConnectorsPanel::revert()
{
    m_model->revertAll();
    m_send->model()->revertAll();
    m_resultText.clear();
    updateState();
}

void ConnectorsPanel::onConfigApplied(bool ok, const QStringList &errors)
{
    if (!m_applying)
        return; // another panel's apply (or a failed request); its configLoaded() updates us
    m_applying = false;
    m_lastApplyFailed = !ok;
    QStringList listening = m_facade->status().listening;
    if (ok) {
        if (listening.isEmpty()) {
            for (const ListenerConfig &l : m_model->listeners())
                listening << endpoint(l);
        }
        m_resultText = listening.isEmpty() ? tr("Applied: no listeners, no mail is accepted")
                                           : tr("Applied: listening on %1").arg(listening.join(QStringLiteral(", ")));
        const int sends = m_send->model()->rowCount();
        m_resultText += sends == 0 ? tr("; outbound mail uses the smart host setting")
                                   : tr("; %n send connector(s)", nullptr, sends);
        m_resultColor = kGreen;
    } else {
        m_resultText = tr("Apply failed: %1").arg(errors.isEmpty() ? tr("unknown error")
                                                                   : errors.join(QStringLiteral("; ")));
        if (!listening.isEmpty())
            m_resultText += QLatin1Char('\n') + tr("Listening on %1").arg(listening.join(QStringLiteral(", ")));
        m_resultColor = kRed;
    }
    updateState();
    // Load what is in force now (a failed bind was still saved); every panel gets it.
    m_facade->requestConfig();
}

void ConnectorsPanel::onCertificatesListed(const rd::engine::CertificateList &list)
{
    m_model->setCertificates(list.certificates);
}

void ConnectorsPanel::setStatus(const QString &text, const QString &color)
{
    m_status->setText(text);
    m_status->setStyleSheet(color.isEmpty() ? QString() : QStringLiteral("color: %1;").arg(color));
}

void ConnectorsPanel::updateState()
{
    const SendConnectorModel *send = m_send->model();
    const bool dirty = m_model->isDirty() || send->isDirty();
    const bool anySelected = m_table->selectionModel()->hasSelection();
    m_addButton->setEnabled(m_hasConfig);
    m_removeButton->setEnabled(m_hasConfig && anySelected);
    m_revertButton->setEnabled(m_hasConfig && dirty && !m_applying);
    m_applyButton->setEnabled(canApply());
    m_send->setEditable(m_hasConfig && !m_applying);

    if (!m_hasConfig) {
        setStatus(tr("Waiting for the configuration from the engine\u2026"), kGray);
    } else if (m_applying) {
        setStatus(tr("Applying\u2026"), kGray);
    } else if (m_model->hasErrors() || send->hasErrors()) {
        const QStringList errors = m_model->errors() + send->errors();
        QString text = errors.first();
        if (errors.size() > 1)
            text += QLatin1Char('\n') + tr("(%n more problem(s); point at a red cell to see it)", nullptr,
                                           int(errors.size()) - 1);
        setStatus(text, kRed);
    } else if (!m_resultText.isEmpty()) {
        QString text = m_resultText;
        if (dirty)
            text += QLatin1Char('\n') + tr("There are unapplied changes.");
        setStatus(text, m_resultColor);
    } else {
        // Bind errors the engine reports (e.g. at start-up), even when this panel applied nothing.
        QStringList lines;
        const QStringList engineErrors = m_facade->status().errors;
        if (!engineErrors.isEmpty())
            lines << tr("The engine reports: %1").arg(engineErrors.join(QStringLiteral("; ")));
        if (dirty)
            lines << tr("Changes are not applied yet: Apply makes them take effect, Revert discards them.");
        setStatus(lines.join(QLatin1Char('\n')), engineErrors.isEmpty() ? kGray : kRed);
    }
}

} // namespace rd::ui
