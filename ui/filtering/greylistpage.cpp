#include "filtering/greylistpage.h"

#include "ratelimits/limitusagemodel.h"

#include "config/settings.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>

namespace rd::ui {

namespace keys = rd::config::keys;

namespace {

const rd::config::SettingDef *def(const char *key)
{
    return rd::config::findSetting(QString::fromLatin1(key));
}

QLabel *grayLabel(const QString &text, QWidget *parent)
{
    auto *l = new QLabel(text, parent);
    l->setWordWrap(true);
    l->setStyleSheet(QStringLiteral("color: #606060;"));
    return l;
}

} // namespace

GreylistPage::GreylistPage(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("greylistPage"));
    m_enabled = new QCheckBox(tr("Greylist mail from unknown senders"), this);
    m_enabled->setObjectName(QStringLiteral("greylistEnabled"));
    if (const auto *d = def(keys::kGreylisting))
        m_enabled->setToolTip(d->description);

    m_delay = new QSpinBox(this);
    m_delay->setObjectName(QStringLiteral("greylistDelay"));
    m_delay->setSuffix(tr(" s"));
    if (const auto *d = def(keys::kGreylistDelay)) {
        m_delay->setRange(int(d->min), int(d->max));
        m_delay->setToolTip(d->description);
    }
    m_delayText = grayLabel(QString(), this);
    m_delayText->setWordWrap(false);

    m_window = new QSpinBox(this);
    m_window->setObjectName(QStringLiteral("greylistRetryWindow"));
    m_window->setSuffix(tr(" h"));
    if (const auto *d = def(keys::kGreylistRetryWindow)) {
        m_window->setRange(std::max(1, int((d->min + 3599) / 3600)), int(d->max / 3600));
        m_window->setToolTip(d->description);
    }
    m_expiry = new QSpinBox(this);
    m_expiry->setObjectName(QStringLiteral("greylistExpiry"));
    m_expiry->setSuffix(tr(" days"));
    if (const auto *d = def(keys::kGreylistExpiry)) {
        m_expiry->setRange(int(d->min), int(d->max));
        m_expiry->setToolTip(d->description);
    }

    auto *explain = grayLabel(
        tr("The first attempt of a new (client network, sender, recipient) triplet gets 450 4.7.1 \u201ctry again "
           "later\u201d. Real mail servers retry after a few minutes and pass; much spamware never retries. The client "
           "network is its /24 (IPv4) or /64 (IPv6), so server farms that retry from another address still pass. "
           "A triplet that passed is remembered for the expiry period after its last message."),
        this);
    auto *never = grayLabel(
        tr("Never greylisted: authenticated clients and clients in a listener's relay Allowed list (your own "
           "printers, applications and servers). Only mail from the outside, for your accepted domains, waits."),
        this);
    never->setObjectName(QStringLiteral("greylistNever"));
    never->setStyleSheet(QString());
    m_counts = grayLabel(QString(), this);
    m_counts->setObjectName(QStringLiteral("greylistCounts"));

    auto *delayRow = new QHBoxLayout;
    delayRow->addWidget(m_delay);
    delayRow->addWidget(m_delayText, 1);
    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::FieldsStayAtSizeHint);
    form->addRow(tr("Retry accepted after:"), delayRow);
    form->addRow(tr("Retry must come within:"), m_window);
    form->addRow(tr("Passed triplets expire after:"), m_expiry);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_enabled);
    layout->addWidget(explain);
    layout->addLayout(form);
    layout->addWidget(never);
    layout->addWidget(m_counts);
    layout->addStretch(1);

    connect(m_enabled, &QCheckBox::toggled, this, [this] { updateState(); emit changed(); });
    for (QSpinBox *s : {m_delay, m_window, m_expiry})
        connect(s, &QSpinBox::valueChanged, this, [this] { updateState(); emit changed(); });
    updateState();
}

GreylistPage::Values GreylistPage::current() const
{
    Values v;
    v.enabled = m_enabled->isChecked();
    v.delay = m_delay->value();
    // Hours are shown; an unchanged field keeps the exact stored seconds.
    v.windowSeconds = m_window->value() == int((m_loaded.windowSeconds + 1800) / 3600) ? m_loaded.windowSeconds
                                                                                       : m_window->value() * 3600;
    v.expiryDays = m_expiry->value();
    return v;
}

void GreylistPage::showValues(const Values &v)
{
    const QSignalBlocker b1(m_enabled), b2(m_delay), b3(m_window), b4(m_expiry);
    m_enabled->setChecked(v.enabled);
    m_delay->setValue(v.delay);
    m_window->setValue(int((v.windowSeconds + 1800) / 3600));
    m_expiry->setValue(v.expiryDays);
    updateState();
}

void GreylistPage::load(const rd::config::ConfigSnapshot &config, bool force)
{
    const bool edited = m_hasConfig && isDirty();
    m_loaded.enabled = config.boolValue(keys::kGreylisting);
    m_loaded.delay = int(config.intValue(keys::kGreylistDelay));
    m_loaded.windowSeconds = int(config.intValue(keys::kGreylistRetryWindow));
    m_loaded.expiryDays = int(config.intValue(keys::kGreylistExpiry));
    m_hasConfig = true;
    if (force || !edited)
        showValues(m_loaded);
    else
        updateState();
}

void GreylistPage::writeTo(rd::config::ConfigSnapshot *config) const
{
    const Values v = current();
    QString error; // the spin boxes keep every value in its declared range
    config->setValue(QString::fromLatin1(keys::kGreylisting), v.enabled, &error);
    config->setValue(QString::fromLatin1(keys::kGreylistDelay), v.delay, &error);
    config->setValue(QString::fromLatin1(keys::kGreylistRetryWindow), v.windowSeconds, &error);
    config->setValue(QString::fromLatin1(keys::kGreylistExpiry), v.expiryDays, &error);
}

void GreylistPage::revert()
{
    showValues(m_loaded);
}

bool GreylistPage::isDirty() const
{
    return m_hasConfig && !(current() == m_loaded);
}

QString GreylistPage::countsText() const
{
    return m_counts->text();
}

void GreylistPage::setPolicyStatus(const rd::policy::PolicyStatus &status)
{
    m_counts->setText(tr("Now: %1 known triplets, %2 waiting for their retry.")
                          .arg(QLocale().toString(status.greylistTriplets), QLocale().toString(status.greylistPending)));
}

void GreylistPage::updateState()
{
    const bool on = m_enabled->isChecked();
    for (QWidget *w : {static_cast<QWidget *>(m_delay), static_cast<QWidget *>(m_window),
                       static_cast<QWidget *>(m_expiry)})
        w->setEnabled(on);
    m_delayText->setText(tr("= %1; a first attempt is refused until then")
                             .arg(LimitUsageModel::formatSeconds(m_delay->value())));
}

} // namespace rd::ui
