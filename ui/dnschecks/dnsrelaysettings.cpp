#include "dnschecks/dnsrelaysettings.h"

#include <QGridLayout>
#include <QHostAddress>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QStyle>

namespace rd::ui {

namespace {

constexpr auto kRed = "#b01e1e";
constexpr auto kAmber = "#8a5a00";

bool isPrivate(const QHostAddress &a)
{
    static const QList<QPair<QHostAddress, int>> nets = {
        QHostAddress::parseSubnet(QStringLiteral("10.0.0.0/8")),
        QHostAddress::parseSubnet(QStringLiteral("172.16.0.0/12")),
        QHostAddress::parseSubnet(QStringLiteral("192.168.0.0/16")),
        QHostAddress::parseSubnet(QStringLiteral("100.64.0.0/10")),
        QHostAddress::parseSubnet(QStringLiteral("fc00::/7")),
    };
    if (a.isLoopback() || a.isLinkLocal())
        return true;
    for (const auto &n : nets) {
        if (a.isInSubnet(n))
            return true;
    }
    return false;
}

} // namespace

DnsRelaySettings::DnsRelaySettings(QWidget *parent) : QGroupBox(tr("This relay as the Internet sees it"), parent)
{
    setObjectName(QStringLiteral("dnsRelaySettings"));
    m_addresses = new QLineEdit(this);
    m_addresses->setObjectName(QStringLiteral("publicAddresses"));
    m_addresses->setPlaceholderText(tr("e.g. 203.0.113.25, 2001:db8::25"));
    m_addresses->setToolTip(tr("The public IP addresses your mail leaves from: SPF must authorise them, their "
                               "reverse DNS (PTR) should name this relay, and they must not be on block lists."));
    m_zones = new QLineEdit(this);
    m_zones->setObjectName(QStringLiteral("dnsblZones"));
    m_zones->setPlaceholderText(tr("e.g. zen.spamhaus.org, bl.spamcop.net"));
    m_zones->setToolTip(tr("DNS block lists to look the public addresses up in: the enabled lists of Filtering "
                           "› DNS block lists (some need an account for commercial use). A name added here "
                           "becomes an enabled list; a name removed here is turned off there, its answer codes "
                           "kept."));
    m_apply = new QPushButton(style()->standardIcon(QStyle::SP_DialogApplyButton), tr("Apply"), this);
    m_apply->setObjectName(QStringLiteral("applyDnsSettings"));
    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("dnsSettingsProblem"));
    m_problem->setWordWrap(true);
    m_problem->hide();
    m_zonesNote = new QLabel(
        tr("<a href=\"filtering\">Answer codes and more lists: Filtering › DNS block lists</a>"), this);
    m_zonesNote->setObjectName(QStringLiteral("dnsblFilteringLink"));
    m_zonesNote->setTextFormat(Qt::RichText);
    m_zonesNote->setTextInteractionFlags(Qt::LinksAccessibleByMouse | Qt::LinksAccessibleByKeyboard);
    connect(m_zonesNote, &QLabel::linkActivated, this, &DnsRelaySettings::filteringRequested);

    for (QLineEdit *e : {m_addresses, m_zones}) {
        connect(e, &QLineEdit::textChanged, this, [this] {
            update();
            emit edited();
        });
        connect(e, &QLineEdit::returnPressed, this, [this] {
            if (m_apply->isEnabled())
                emit applyRequested();
        });
    }
    connect(m_apply, &QPushButton::clicked, this, &DnsRelaySettings::applyRequested);

    auto *grid = new QGridLayout(this);
    grid->addWidget(new QLabel(tr("Public IP addresses:"), this), 0, 0);
    grid->addWidget(m_addresses, 0, 1);
    grid->addWidget(new QLabel(tr("Block lists (DNSBL):"), this), 0, 2);
    grid->addWidget(m_zones, 0, 3);
    grid->addWidget(m_apply, 0, 4);
    grid->addWidget(m_zonesNote, 1, 3, 1, 2);
    grid->addWidget(m_problem, 2, 0, 1, 5);
    grid->setColumnStretch(1, 1);
    grid->setColumnStretch(3, 1);
    update();
}

QStringList DnsRelaySettings::splitList(const QString &text)
{
    static const QRegularExpression separators(QStringLiteral("[,;\\s]+"));
    return text.split(separators, Qt::SkipEmptyParts);
}

QString DnsRelaySettings::checkAddresses(const QString &text)
{
    for (const QString &entry : splitList(text)) {
        QHostAddress a;
        if (entry.contains(QLatin1Char('/')) || !a.setAddress(entry))
            return tr("\u201c%1\u201d is not an IP address. Write the addresses your mail leaves from, like "
                      "203.0.113.25 or 2001:db8::25, separated by commas.")
                .arg(entry);
    }
    return {};
}

QString DnsRelaySettings::checkZones(const QString &text)
{
    static const QRegularExpression zone(
        QStringLiteral("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.?$"),
        QRegularExpression::CaseInsensitiveOption);
    for (const QString &entry : splitList(text)) {
        if (entry.size() > 253 || !zone.match(entry).hasMatch())
            return tr("\u201c%1\u201d is not a block list zone name (like zen.spamhaus.org).").arg(entry);
    }
    return {};
}

void DnsRelaySettings::load(const QString &addresses, const QList<rd::config::DnsblZone> &zones, bool force)
{
    const bool keep = !force && isDirty();
    m_loadedAddresses = splitList(addresses).join(QLatin1Char(','));
    m_loadedZones = zones;
    if (!keep) {
        m_addresses->setText(splitList(addresses).join(QStringLiteral(", ")));
        QStringList enabled;
        for (const rd::config::DnsblZone &z : zones) {
            if (z.enabled)
                enabled << z.zone.trimmed().toLower();
        }
        m_zones->setText(enabled.join(QStringLiteral(", ")));
    }
    update();
}

void DnsRelaySettings::setAddressesText(const QString &text)
{
    m_addresses->setText(text);
}

void DnsRelaySettings::setZonesText(const QString &text)
{
    m_zones->setText(text);
}

QString DnsRelaySettings::addressesValue() const
{
    return splitList(m_addresses->text()).join(QLatin1Char(','));
}

QStringList DnsRelaySettings::zoneNames() const
{
    QStringList out;
    for (const QString &z : splitList(m_zones->text())) {
        QString name = z.toLower();
        if (name.endsWith(QLatin1Char('.')))
            name.chop(1);
        if (!out.contains(name))
            out << name;
    }
    return out;
}

QList<rd::config::DnsblZone> DnsRelaySettings::zonesValue() const
{
    const QStringList names = zoneNames();
    QList<rd::config::DnsblZone> out = m_loadedZones;
    QStringList known;
    for (rd::config::DnsblZone &z : out) {
        const QString name = z.zone.trimmed().toLower();
        z.enabled = names.contains(name);
        known << name;
    }
    for (const QString &name : names) {
        if (known.contains(name))
            continue;
        rd::config::DnsblZone z;
        z.zone = name;
        out << z;
    }
    return out;
}

bool DnsRelaySettings::isDirty() const
{
    return addressesValue() != m_loadedAddresses || zonesValue() != m_loadedZones;
}

bool DnsRelaySettings::isValid() const
{
    return checkAddresses(m_addresses->text()).isEmpty() && checkZones(m_zones->text()).isEmpty();
}

QString DnsRelaySettings::problem() const
{
    return m_problem->isHidden() ? QString() : m_problem->text();
}

void DnsRelaySettings::setApplyAllowed(bool allowed)
{
    m_applyAllowed = allowed;
    update();
}

void DnsRelaySettings::update()
{
    QString problem = checkAddresses(m_addresses->text());
    if (problem.isEmpty())
        problem = checkZones(m_zones->text());
    m_problemIsError = !problem.isEmpty();
    QString colour = QLatin1String(kRed);
    if (problem.isEmpty()) {
        for (const QString &entry : splitList(m_addresses->text())) {
            if (isPrivate(QHostAddress(entry))) {
                problem = tr("%1 is a private or local address: the Internet sees your relay under another "
                             "(public) address, and the SPF, PTR and block list checks need that one.")
                              .arg(entry);
                colour = QLatin1String(kAmber);
                break;
            }
        }
    }
    if (problem.isEmpty() && splitList(m_addresses->text()).isEmpty()) {
        problem = tr("Without a public address the SPF, reverse DNS and block list checks cannot tell "
                     "whether your relay's own address is accepted.");
        colour = QStringLiteral("gray");
    }
    m_problem->setText(problem);
    m_problem->setStyleSheet(QStringLiteral("color: %1;").arg(colour));
    m_problem->setVisible(!problem.isEmpty());
    m_apply->setEnabled(m_applyAllowed && isDirty() && isValid());
}

} // namespace rd::ui
