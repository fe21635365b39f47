#include "delivery/connectorprobe.h"

#include "config/settings.h"
#include "delivery/outboundconnection.h"
#include "oauth/tokenmanager.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QLoggingCategory>
#include <QSslCertificate>
#include <QTimer>

#include <algorithm>
#include <limits>

namespace rd::delivery {

Q_LOGGING_CATEGORY(lcProbe, "relaydesk.delivery.probe", QtInfoMsg)

namespace {

TlsMode tlsModeFor(const QString &policy)
{
    if (policy == QLatin1String("none"))
        return TlsMode::None;
    if (policy == QLatin1String("required"))
        return TlsMode::Required;
    if (policy == QLatin1String("verify"))
        return TlsMode::Verify;
    return TlsMode::Opportunistic;
}

QString text(const smtp::ServerReply &r)
{
    return QString::fromUtf8(r.toString());
}

// "CN=mail.example.com, O=Example Ltd" from the certificate's attributes.
QString distinguishedName(const QSslCertificate &cert, bool issuer)
{
    QStringList parts;
    const QList<QByteArray> attrs = issuer ? cert.issuerInfoAttributes() : cert.subjectInfoAttributes();
    for (const QByteArray &a : attrs) {
        const QStringList values = issuer ? cert.issuerInfo(a) : cert.subjectInfo(a);
        for (const QString &v : values)
            parts << QStringLiteral("%1=%2").arg(QString::fromLatin1(a), v);
    }
    return parts.join(QStringLiteral(", "));
}

QStringList ehloLines(const smtp::ServerCapabilities &caps)
{
    QStringList out;
    for (const QByteArray &k : caps.keywords) {
        if (k.isEmpty())
            continue;
        QString line = QString::fromLatin1(k);
        if (k == "SIZE" && caps.sizeLimit > 0)
            line += QLatin1Char(' ') + QString::number(caps.sizeLimit);
        else if (k == "AUTH" && !caps.authMechanisms.isEmpty())
            line += QLatin1Char(' ') + QString::fromLatin1(caps.authMechanisms.join(' '));
        out << line;
    }
    return out;
}

} // namespace

ConnectionOptions connectionOptionsFor(const config::SendConnectorConfig &c, const QString &host, quint16 port,
                                       const QString &heloName)
{
    ConnectionOptions o;
    o.host = host;
    o.port = port;
    o.tlsName = host;
    o.tls = tlsModeFor(c.tls);
    o.caFile = c.caFile;
    o.implicitTls = c.implicitTls;
    o.authUser = c.authUser.toUtf8();
    o.authPassword = c.authPassword.toUtf8();
    o.heloName = heloName;
    o.timeouts.connectMs = c.connectTimeoutS * 1000;
    o.timeouts.commandMs = c.commandTimeoutS * 1000;
    o.timeouts.dataMs = std::max(600, c.commandTimeoutS * 2) * 1000;
    return o;
}

OAuthBinding oauthBindingFor(const config::SendConnectorConfig &c, oauth::TokenManager *tokens)
{
    OAuthBinding b;
    if (!c.usesOAuth() || !tokens)
        return b;
    b.tokens = tokens;
    b.connector = c.name;
    b.user = c.oauth.mailbox.toUtf8();
    b.mechanism = c.oauth.sasl == QLatin1String("xoauth2")       ? smtp::OAuthMechanism::XOAuth2
                  : c.oauth.sasl == QLatin1String("oauthbearer") ? smtp::OAuthMechanism::OAuthBearer
                                                                 : smtp::OAuthMechanism::Auto;
    return b;
}

void configureTokens(oauth::TokenManager *tokens, const QList<config::SendConnectorConfig> &connectors)
{
    QStringList names;
    for (const config::SendConnectorConfig &c : connectors) {
        if (!c.usesOAuth())
            continue;
        tokens->setConnector(c.name, c.oauth, c.oauthSecrets);
        names << c.name;
    }
    tokens->retainOnly(names);
}

ConnectorProbe::ConnectorProbe(config::SendConnectorConfig connector, QString heloName, QString target,
                               QObject *parent)
    : QObject(parent), m_connector(std::move(connector)), m_heloName(std::move(heloName)), m_target(std::move(target))
{
    m_report.connector = m_connector.name;
}

ConnectorProbe::~ConnectorProbe() = default;

void ConnectorProbe::start()
{
    if (m_started)
        return;
    m_started = true;
    m_clock.start();

    QString target = m_target.trimmed();
    if (target.isEmpty()) {
        if (m_connector.usesMx()) {
            m_report.error = QStringLiteral("this connector delivers to the MX hosts of each recipient domain; "
                                            "give a mail server (host or host:port) to test");
        } else if (m_connector.smartHosts.isEmpty()) {
            m_report.error = QStringLiteral("the connector has no smart host to test");
        } else {
            target = m_connector.smartHosts.first().trimmed();
        }
    }
    QString host;
    quint16 port = 0;
    if (m_report.error.isEmpty()) {
        // A bare host name (typed for an MX route) means port 25.
        if (!target.contains(QLatin1Char(':')))
            target += QStringLiteral(":25");
        QString why;
        if (!config::parseHostPort(target, &host, &port, &why))
            m_report.error = QStringLiteral("\"%1\" is not host:port: %2").arg(target, why);
        else
            m_report.target = target;
    }
    if (!m_report.error.isEmpty()) {
        QMetaObject::invokeMethod(this, &ConnectorProbe::finish, Qt::QueuedConnection);
        return;
    }

    qCInfo(lcProbe).noquote() << QStringLiteral("event=connector_test_start connector=\"%1\" target=%2 tls=%3 auth=%4")
                                     .arg(m_connector.name, m_report.target, m_connector.tls,
                                          m_connector.usesOAuth()         ? QStringLiteral("oauth2")
                                          : m_connector.authUser.isEmpty() ? QStringLiteral("no")
                                                                           : QStringLiteral("yes"));
    m_conn = new OutboundConnection(connectionOptionsFor(m_connector, host, port, m_heloName), this);
    if (m_connector.usesOAuth()) {
        m_tokens = new oauth::TokenManager(this);
        m_tokens->setRequestTimeoutMs(m_connector.connectTimeoutS * 1000);
        m_tokens->setConnector(m_connector.name, m_connector.oauth, m_connector.oauthSecrets);
        m_conn->setOAuth(oauthBindingFor(m_connector, m_tokens));
    }
    connect(m_conn, &OutboundConnection::probeFinished, this, &ConnectorProbe::onProbeFinished);

    // Each step is bounded by the connection's own timers; this bounds the whole
    // test (a TLS handshake that stalls included): connect + greeting, EHLO,
    // STARTTLS, EHLO again and AUTH.
    const qint64 boundMs = qint64(m_connector.connectTimeoutS) * 1000 + qint64(m_connector.commandTimeoutS) * 5000;
    m_guard = new QTimer(this);
    m_guard->setSingleShot(true);
    connect(m_guard, &QTimer::timeout, this, &ConnectorProbe::onGuardTimeout);
    m_guard->start(int(std::min<qint64>(boundMs, std::numeric_limits<int>::max())));

    m_conn->probe();
}

void ConnectorProbe::onProbeFinished(bool ok, const QString &error)
{
    if (m_finished)
        return;
    m_report.ok = ok;
    m_report.error = ok ? QString() : error;
    fillFromConnection();
    // Emitted from the connection's socket callback: close it from the event loop.
    QMetaObject::invokeMethod(this, &ConnectorProbe::finish, Qt::QueuedConnection);
}

void ConnectorProbe::onGuardTimeout()
{
    if (m_finished)
        return;
    m_report.ok = false;
    m_report.error = QStringLiteral("no result within %1 s (connect timeout plus five command timeouts)")
                         .arg(m_guard->interval() / 1000);
    fillFromConnection();
    delete m_conn; // aborts the socket silently
    m_conn = nullptr;
    finish();
}

void ConnectorProbe::fillFromConnection()
{
    if (!m_conn)
        return;
    const smtp::ClientSession &s = m_conn->session();
    const smtp::ServerCapabilities &caps = m_conn->capabilities();
    const bool greeted = s.greeting().code != 0;
    m_report.banner = text(s.greeting());
    m_report.ehlo = ehloLines(caps);
    m_report.tlsVersion = m_conn->tlsVersion();
    m_report.tlsCipher = m_conn->tlsCipher();
    m_report.certErrors = m_conn->tlsErrors();
    m_report.startTlsOffered = caps.startTls || s.startTlsReply().code != 0;

    const bool encrypted = !m_report.tlsVersion.isEmpty();
    const QString tlsDone = encrypted ? QStringLiteral("encrypted with %1 (%2)").arg(m_report.tlsVersion,
                                                                                      m_report.tlsCipher)
                                      : QStringLiteral("TLS handshake failed");
    if (m_connector.implicitTls) {
        m_report.startTlsResult = QStringLiteral("not used: implicit TLS (encrypted from the first byte); %1")
                                      .arg(encrypted ? tlsDone : QStringLiteral("TLS handshake failed or not reached"));
    } else if (s.startTlsReply().code != 0) {
        m_report.startTlsResult = s.startTlsReply().code == 220
            ? QStringLiteral("%1, then %2").arg(text(s.startTlsReply()), tlsDone)
            : QStringLiteral("refused: %1").arg(text(s.startTlsReply()));
    } else if (!greeted) {
        m_report.startTlsResult = QStringLiteral("not reached");
    } else if (m_connector.tls == QLatin1String("none")) {
        m_report.startTlsResult = caps.startTls ? QStringLiteral("offered, not used (TLS policy: none)")
                                                : QStringLiteral("not offered; not used (TLS policy: none)");
    } else if (caps.startTls) {
        m_report.startTlsResult = QStringLiteral("offered; not reached (the session ended before STARTTLS)");
    } else {
        m_report.startTlsResult = QStringLiteral("not offered by the server");
    }

    const QSslCertificate cert = m_conn->peerCertificate();
    if (!cert.isNull()) {
        m_report.certSubject = distinguishedName(cert, false);
        m_report.certIssuer = distinguishedName(cert, true);
        QStringList names;
        const auto sans = cert.subjectAlternativeNames();
        for (auto it = sans.cbegin(); it != sans.cend(); ++it) {
            if (it.key() == QSsl::DnsEntry || it.key() == QSsl::IpAddressEntry)
                names << it.value();
        }
        m_report.certSans = names.join(QStringLiteral(", "));
        m_report.certNotAfter = cert.expiryDate().toUTC().toString(Qt::ISODate);
        m_report.certSha256 = QString::fromLatin1(cert.digest(QCryptographicHash::Sha256).toHex(':').toUpper());
    }

    m_report.tokenResult = m_conn->usesOAuth() ? m_conn->tokenResult() : QString();
    const QString user = m_connector.usesOAuth() ? m_connector.oauth.mailbox : m_connector.authUser;
    if (m_connector.usesOAuth() && m_conn->tokenResult().isEmpty()) {
        m_report.authResult = QStringLiteral("not attempted for %1 (no access token yet)").arg(user);
    } else if (m_connector.usesOAuth() && s.authReply().code == 0) {
        m_report.authResult = QStringLiteral("not attempted for %1 with OAuth 2.0%2")
                                  .arg(user, m_report.ok ? QString() : QStringLiteral(" (see the result)"));
    } else if (user.isEmpty()) {
        m_report.authResult = QStringLiteral("not configured (no credentials)");
    } else if (s.authReply().code != 0) {
        m_report.authResult = s.authenticated()
            ? QStringLiteral("accepted for user %1 (%2%4): %3")
                  .arg(user, QString::fromLatin1(s.authMechanism()), text(s.authReply()),
                       m_conn->oauthRetried() ? QStringLiteral(", after a fresh token") : QString())
            : QStringLiteral("refused for user %1 (%2): %3%4")
                  .arg(user, QString::fromLatin1(s.authMechanism()), text(s.authReply()),
                       s.oauthChallenge().isEmpty() ? QString()
                                                    : QStringLiteral(" (token error: %1)").arg(s.oauthChallenge()));
    } else {
        m_report.authResult = QStringLiteral("not attempted for user %1%2")
                                  .arg(user, m_report.ok ? QString()
                                                                         : QStringLiteral(" (see the result)"));
    }
}

void ConnectorProbe::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    if (m_guard)
        m_guard->stop();
    m_report.ms = m_clock.isValid() ? m_clock.elapsed() : 0;
    qCInfo(lcProbe).noquote()
        << QStringLiteral("event=connector_test connector=\"%1\" target=%2 ok=%3 tls=%4 ms=%5 error=\"%6\"")
               .arg(m_connector.name, m_report.target, m_report.ok ? QStringLiteral("yes") : QStringLiteral("no"),
                    m_report.tlsVersion.isEmpty() ? QStringLiteral("none") : m_report.tlsVersion,
                    QString::number(m_report.ms), m_report.error);
    emit finished(m_report);
    closeAndDelete();
}

void ConnectorProbe::closeAndDelete()
{
    if (!m_conn || m_conn->isClosed()) {
        deleteLater();
        return;
    }
    // QUIT politely; the connection's reply timer bounds the wait, this timer bounds it too.
    connect(m_conn, &OutboundConnection::closed, this, &QObject::deleteLater);
    QTimer::singleShot(10000, this, &QObject::deleteLater);
    m_conn->quit();
}

} // namespace rd::delivery
