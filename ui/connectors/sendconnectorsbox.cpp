#include "connectors/sendconnectorsbox.h"

#include "config/settings.h"
#include "connectors/connectorpresets.h"
#include "connectors/probereporttext.h"
#include "connectors/sendconnectordialog.h"
#include "connectors/uniquename.h"
#include "delivery/connectorprobe.h"
#include "engine/enginefacade.h"

#include <QEvent>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QStackedWidget>
#include <QStyle>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace rd::ui {

using rd::config::SendConnectorConfig;

SendConnectorsBox::SendConnectorsBox(rd::engine::EngineFacade *facade, QWidget *parent)
    : QGroupBox(tr("Send connectors"), parent)
    , m_facade(facade)
    , m_model(new SendConnectorModel(this))
{
    setObjectName(QStringLiteral("sendConnectors"));
    buildUi();
    connect(m_model, &SendConnectorModel::stateChanged, this, &SendConnectorsBox::updateState);
    connect(m_model, &QAbstractItemModel::rowsMoved, this, &SendConnectorsBox::updateState);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &SendConnectorsBox::updateState);
    connect(m_table, &QTableView::doubleClicked, this, [this] { editSelected(); });
    connect(m_facade, &rd::engine::EngineFacade::connectorTested, this, &SendConnectorsBox::onConnectorTested);
    updateState();
}

QMenu *SendConnectorsBox::presetMenu(QWidget *owner)
{
    auto *menu = new QMenu(owner);
    // The named services first; the empty connector last, after a separator.
    for (const ConnectorPreset &p : connectorPresets()) {
        if (p.id == QLatin1String("blank"))
            menu->addSeparator();
        QAction *a = menu->addAction(p.label);
        a->setObjectName(QStringLiteral("preset") + p.objectSuffix);
        a->setToolTip(p.checklist);
        const QString id = p.id;
        connect(a, &QAction::triggered, this, [this, id] { addPresetById(id); });
    }
    menu->setToolTipsVisible(true);
    return menu;
}

void SendConnectorsBox::buildUi()
{
    auto *intro = new QLabel(tr("Where RelayDesk sends mail. Connectors are checked from the top: the first whose "
                                "domains match the recipient's domain is used. Double-click a connector to edit it."),
                             this);
    intro->setWordWrap(true);

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("sendConnectorTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 12);
    m_table->verticalHeader()->setDefaultAlignment(Qt::AlignCenter);
    auto *header = m_table->horizontalHeader();
    header->setStretchLastSection(true);
    header->setHighlightSections(false);
    header->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    fitColumns();
    m_table->installEventFilter(this);
    connect(m_model, &QAbstractItemModel::modelReset, this, &SendConnectorsBox::fitColumns);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &SendConnectorsBox::fitColumns);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &SendConnectorsBox::fitColumns);

    // Shown instead of the table while there are no connectors.
    auto *hintPage = new QWidget(this);
    m_hint = new QLabel(hintPage);
    m_hint->setObjectName(QStringLiteral("legacySmartHostHint"));
    m_hint->setWordWrap(true);
    m_hint->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_hintAdd = new QPushButton(style()->standardIcon(QStyle::SP_FileDialogNewFolder), tr("Add connector"), hintPage);
    m_hintAdd->setObjectName(QStringLiteral("addConnectorHint"));
    m_hintAdd->setMenu(presetMenu(m_hintAdd));
    auto *hintLayout = new QVBoxLayout(hintPage);
    hintLayout->addWidget(m_hint);
    auto *hintButtons = new QHBoxLayout;
    hintButtons->addWidget(m_hintAdd);
    hintButtons->addStretch(1);
    hintLayout->addLayout(hintButtons);
    hintLayout->addStretch(1);

    m_stack = new QStackedWidget(this);
    m_stack->addWidget(m_table);
    m_stack->addWidget(hintPage);

    m_result = new QPlainTextEdit(this);
    m_result->setObjectName(QStringLiteral("testResult"));
    m_result->setReadOnly(true);
    m_result->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    m_result->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));

    m_addButton = new QPushButton(style()->standardIcon(QStyle::SP_FileDialogNewFolder), tr("Add"), this);
    m_addButton->setObjectName(QStringLiteral("addSendConnector"));
    m_addButton->setToolTip(tr("Add a send connector from a preset"));
    m_addButton->setMenu(presetMenu(m_addButton));
    m_editButton = new QPushButton(tr("Edit\u2026"), this);
    m_editButton->setObjectName(QStringLiteral("editSendConnector"));
    connect(m_editButton, &QPushButton::clicked, this, &SendConnectorsBox::editSelected);
    m_removeButton = new QPushButton(style()->standardIcon(QStyle::SP_TrashIcon), tr("Remove"), this);
    m_removeButton->setObjectName(QStringLiteral("removeSendConnector"));
    m_removeButton->setToolTip(tr("Remove the selected send connector (after Apply)"));
    connect(m_removeButton, &QPushButton::clicked, this, &SendConnectorsBox::removeSelected);
    m_upButton = new QPushButton(style()->standardIcon(QStyle::SP_ArrowUp), tr("Move up"), this);
    m_upButton->setObjectName(QStringLiteral("moveSendConnectorUp"));
    m_upButton->setToolTip(tr("Move up: checked earlier"));
    connect(m_upButton, &QPushButton::clicked, this, [this] { moveSelected(-1); });
    m_downButton = new QPushButton(style()->standardIcon(QStyle::SP_ArrowDown), tr("Move down"), this);
    m_downButton->setObjectName(QStringLiteral("moveSendConnectorDown"));
    m_downButton->setToolTip(tr("Move down: checked later"));
    connect(m_downButton, &QPushButton::clicked, this, [this] { moveSelected(1); });

    m_mxHost = new QLineEdit(this);
    m_mxHost->setObjectName(QStringLiteral("mxTestHost"));
    m_mxHost->setPlaceholderText(tr("Mail server to test, e.g. mx1.example.com"));
    m_mxHost->setToolTip(tr("An MX route finds the servers per recipient domain when mail is sent; name one "
                            "server (host or host:port) to test the connector's TLS and AUTH settings against"));
    m_testButton = new QPushButton(style()->standardIcon(QStyle::SP_MediaPlay), tr("Test connection"), this);
    m_testButton->setObjectName(QStringLiteral("testSendConnector"));
    m_testButton->setToolTip(tr("Connect to the selected connector's server with its settings as edited (also "
                                "before Apply): read the banner, send EHLO, try STARTTLS and AUTH as configured "
                                "and show the answers. No mail is sent."));
    connect(m_testButton, &QPushButton::clicked, this, &SendConnectorsBox::testSelected);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_addButton);
    buttons->addWidget(m_editButton);
    buttons->addWidget(m_removeButton);
    buttons->addWidget(m_upButton);
    buttons->addWidget(m_downButton);
    buttons->addStretch(1);
    buttons->addWidget(m_mxHost, 1);
    buttons->addWidget(m_testButton);

    // The result pane appears below the table with the first test; the admin
    // can drag the divider.
    m_splitter = new QSplitter(Qt::Vertical, this);
    m_splitter->setObjectName(QStringLiteral("sendSplitter"));
    m_splitter->setChildrenCollapsible(false);
    m_splitter->addWidget(m_stack);
    m_splitter->addWidget(m_result);
    m_splitter->setStretchFactor(0, 2);
    m_splitter->setStretchFactor(1, 3);
    m_result->setVisible(false);
    m_result->setMinimumHeight(fontMetrics().height() * 4);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(m_splitter, 1);
    layout->addLayout(buttons);
}

void SendConnectorsBox::fitColumns()
{
    // Wide enough for the contents (and the title), within bounds; when the
    // table is narrower than that, the long columns give way first (down to a
    // minimum), so that all seven columns stay visible. Cut text has a tooltip.
    const int minimum[SendConnectorModel::ColumnCount] = {80, 80, 75, 100, 85, 80, 90};
    const int maximum[SendConnectorModel::ColumnCount] = {150, 170, 90, 200, 130, 170, 130};
    int wanted[SendConnectorModel::ColumnCount];
    int total = 0;
    int slack = 0;
    for (int c = 0; c < SendConnectorModel::ColumnCount; ++c) {
        const int hint = std::max(static_cast<QAbstractItemView *>(m_table)->sizeHintForColumn(c),
                                  m_table->horizontalHeader()->sectionSizeHint(c));
        wanted[c] = std::clamp(hint + 8, minimum[c], maximum[c]);
        total += wanted[c];
        slack += wanted[c] - minimum[c];
    }
    const int available = m_table->viewport()->width();
    const int cut = available > 0 ? std::clamp(total - available, 0, slack) : 0;
    int leftover = cut;
    for (int c = 0; c < SendConnectorModel::ColumnCount && cut > 0; ++c) {
        const int share = int(qint64(cut) * (wanted[c] - minimum[c]) / slack);
        wanted[c] -= share;
        leftover -= share;
    }
    // Rounding: the last pixels come off the first columns that can give them.
    for (int c = 0; c < SendConnectorModel::ColumnCount && leftover > 0; ++c) {
        const int share = std::min(leftover, wanted[c] - minimum[c]);
        wanted[c] -= share;
        leftover -= share;
    }
    for (int c = 0; c < SendConnectorModel::ColumnCount; ++c)
        m_table->setColumnWidth(c, wanted[c]);
}

bool SendConnectorsBox::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_table && event->type() == QEvent::Resize)
        fitColumns();
    return QGroupBox::eventFilter(watched, event);
}

void SendConnectorsBox::setConfig(const rd::config::ConfigSnapshot &config)
{
    m_smartHost = config.stringValue(rd::config::keys::kSmartHost);
    m_mxPort = int(config.intValue(rd::config::keys::kMxPort));
    if (!m_model->isDirty() || m_model->connectors() == config.sendConnectors)
        m_model->load(config.sendConnectors);
    updateState();
}

void SendConnectorsBox::setEditable(bool editable)
{
    m_editable = editable;
    updateState();
}

int SendConnectorsBox::selectedRow() const
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    return rows.size() == 1 ? rows.first().row() : -1;
}

void SendConnectorsBox::updateState()
{
    const int row = selectedRow();
    const int n = m_model->rowCount();
    const bool mx = row >= 0 && m_model->connector(row).usesMx();
    m_stack->setCurrentIndex(n == 0 ? 1 : 0);
    m_hint->setText(m_smartHost.isEmpty()
                        ? tr("No send connectors and no smart host: outbound mail cannot be delivered. Add a "
                             "connector.")
                        : tr("No send connectors: the smart host setting is in effect. All outbound mail goes to "
                             "%1 (opportunistic TLS, no AUTH). Add a connector to route by domain, require TLS or "
                             "log on with AUTH.")
                              .arg(m_smartHost));
    m_addButton->setEnabled(m_editable);
    m_addButton->setVisible(n > 0); // the hint has its own "Add connector"
    m_hintAdd->setEnabled(m_editable);
    m_editButton->setEnabled(m_editable && row >= 0);
    m_removeButton->setEnabled(m_editable && row >= 0);
    m_upButton->setEnabled(m_editable && row > 0);
    m_downButton->setEnabled(m_editable && row >= 0 && row < n - 1);
    m_mxHost->setVisible(mx);
    m_testButton->setEnabled(row >= 0 && m_testing.isEmpty());
    m_testButton->setText(m_testing.isEmpty() ? tr("Test connection") : tr("Testing\u2026"));
}

void SendConnectorsBox::addPreset(SendConnectorModel::Preset preset)
{
    switch (preset) {
    case SendConnectorModel::Microsoft365Preset: addPresetById(QStringLiteral("microsoft365")); break;
    case SendConnectorModel::GmailPreset: addPresetById(QStringLiteral("gmail")); break;
    case SendConnectorModel::DirectMxPreset: addPresetById(QStringLiteral("direct-mx")); break;
    case SendConnectorModel::InternalPreset: addPresetById(QStringLiteral("internal")); break;
    default: addPresetById(QStringLiteral("blank")); break;
    }
}

void SendConnectorsBox::addPresetById(const QString &id)
{
    const ConnectorPreset *p = findConnectorPreset(id);
    if (!m_editable || !p)
        return;
    SendConnectorConfig c = p->connector;
    const QList<SendConnectorConfig> all = m_model->connectors();
    c.name = uniqueName(p->nameBase, [&all](const QString &name) {
        return std::any_of(all.begin(), all.end(), [&name](const SendConnectorConfig &o) {
            return o.name.compare(name, Qt::CaseInsensitive) == 0;
        });
    });
    const QString note = p->checklist.contains(QLatin1Char('\n'))
                             ? tr("Before you start, on the provider's side:\n%1").arg(p->checklist)
                             : p->checklist;
    openDialog(c, -1, note, int(p->auth));
}

void SendConnectorsBox::editSelected()
{
    const int row = selectedRow();
    if (!m_editable || row < 0)
        return;
    openDialog(m_model->connector(row), row, QString());
}

void SendConnectorsBox::openDialog(const SendConnectorConfig &c, int row, const QString &note, int authMode)
{
    if (m_dialog)
        m_dialog->close();
    auto *dialog = new SendConnectorDialog(c, m_model->connectors(), row, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setNote(note);
    dialog->setFacade(m_facade);
    if (authMode >= 0)
        dialog->setAuthMode(SendConnectorDialog::AuthMode(authMode));
    m_dialog = dialog;
    connect(dialog, &QDialog::accepted, this, [this, dialog, row] {
        if (!m_editable)
            return;
        int target = row;
        if (row < 0)
            target = m_model->addConnector(dialog->connector());
        else
            m_model->setConnector(row, dialog->connector());
        m_table->selectRow(target);
    });
    dialog->open();
}

void SendConnectorsBox::removeSelected()
{
    const int row = selectedRow();
    if (!m_editable || row < 0)
        return;
    m_model->removeRows(row, 1);
    if (m_model->rowCount() > 0)
        m_table->selectRow(std::min(row, m_model->rowCount() - 1));
}

void SendConnectorsBox::moveSelected(int delta)
{
    const int row = selectedRow();
    if (!m_editable || row < 0 || !m_model->moveRow(row, delta))
        return;
    m_table->selectRow(row + delta);
}

void SendConnectorsBox::testSelected()
{
    const int row = selectedRow();
    if (row < 0 || !m_testing.isEmpty())
        return;
    SendConnectorConfig c = m_model->connector(row);
    QString target = c.usesMx() ? m_mxHost->text().trimmed() : c.smartHosts.value(0).trimmed();
    if (c.usesMx()) {
        if (target.isEmpty()) {
            showResultPane();
            m_result->setPlainText(tr("\"%1\" delivers to the MX servers of each recipient domain. Enter one mail "
                                      "server to test (host or host:port) next to the button.")
                                       .arg(c.name));
            m_mxHost->setFocus();
            return;
        }
        if (!target.contains(QLatin1Char(':')) || target.endsWith(QLatin1Char(']')))
            target += QStringLiteral(":%1").arg(m_mxPort);
        // Test the connector's TLS and AUTH settings against this one server.
        c.route = QStringLiteral("smarthost");
        c.smartHosts = {target};
    }
    showResultPane();
    m_testing = c.name;
    const bool edited = m_model->index(row, 0).data(SendConnectorModel::DirtyRole).toBool();
    m_result->setPlainText(tr("Testing \"%1\"%2\u2026%3")
                               .arg(c.name,
                                    target.isEmpty() ? QString() : QStringLiteral(" \u2192 %1").arg(target),
                                    edited ? tr("\n(with the settings as edited, not applied yet)") : QString()));
    updateState();
    // Without an engine the facade answers at once, inside this call.
    m_facade->testConnector(c);
}

void SendConnectorsBox::showResultPane()
{
    if (!m_result->isHidden())
        return;
    m_result->setVisible(true);
    const int h = m_splitter->height();
    m_splitter->setSizes({h * 2 / 5, h - h * 2 / 5});
}

void SendConnectorsBox::onConnectorTested(const QString &name, const rd::delivery::ProbeReport &report)
{
    if (m_testing.isEmpty() || name != m_testing)
        return;
    m_testing.clear();
    m_result->setPlainText(probeReportText(report));
    updateState();
}

} // namespace rd::ui
