#pragma once
// "Test connection" for one send connector: connects to its first smart host
// (or to an explicitly given host:port), reads the greeting, sends EHLO, does
// STARTTLS and AUTH as the connector's policy says, and reports what it saw.
// No mail is sent. The report is a plain value for the GUI.
// Thread: lives in one thread (the engine's); everything is asynchronous.
// OAuth 2.0 connectors: the token flow runs first with a fresh token (a
// private TokenManager, so the test proves the credentials, not a cache),
// then the sign-in with it; tokenResult reports that step.
// Secrets: the password, the OAuth secrets and tokens are given to the
// connection only; they never appear in the report or in a log line.

#include "config/sendconnector.h"
#include "delivery/deliverytypes.h"

#include <QElapsedTimer>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QStringList>

class QTimer;

namespace rd::oauth {
class TokenManager;
}

namespace rd::delivery {

class OutboundConnection;
struct OAuthBinding;

struct ProbeReport {
    QString connector;       // the connector's name
    QString target;          // "host:port" tested; empty if none could be chosen
    bool ok = false;         // greeting, EHLO, STARTTLS and AUTH (as configured) all succeeded
    QString error;           // why not, when !ok
    QString banner;          // "220 mail.example.com ESMTP ..."
    QStringList ehlo;        // EHLO keywords with their parameters ("SIZE 36700160", "AUTH PLAIN LOGIN")
    bool startTlsOffered = false;
    QString startTlsResult;  // a sentence: not attempted / not offered / "220 ..." and the outcome
    QString tlsVersion;      // "TLSv1.3"; empty: not encrypted
    QString tlsCipher;
    QString certSubject;     // the certificate the server showed (empty: none)
    QString certIssuer;
    QString certSans;        // DNS names, comma-separated
    QString certNotAfter;    // ISO 8601, UTC
    QString certSha256;      // "AB:CD:..."
    QStringList certErrors;  // verification problems (checked only with TLS policy "verify")
    QString tokenResult;     // OAuth: "access token from https://... (fetched, expires in 3599 s)" or the error
    QString authResult;      // a sentence: not configured / accepted / refused / not attempted
    qint64 ms = 0;           // wall time of the test

    bool operator==(const ProbeReport &) const = default;
};

class ConnectorProbe : public QObject {
    Q_OBJECT
public:
    // connector: the connector as edited (its password is used, never reported).
    // heloName: our EHLO name. target: "host:port" to test instead of the first
    // smart host; needed for MX routes (they look up the domain's mail servers
    // only when mail is sent). No I/O until start().
    ConnectorProbe(rd::config::SendConnectorConfig connector, QString heloName, QString target = {},
                   QObject *parent = nullptr);
    ~ConnectorProbe() override;

    // Starts the test. finished() follows exactly once, never from inside this
    // call, at the latest after the connector's connect timeout plus a few
    // command timeouts. Afterwards the probe closes its connection (QUIT) and
    // deletes itself with deleteLater().
    void start();

signals:
    void finished(const rd::delivery::ProbeReport &report);

private:
    void onProbeFinished(bool ok, const QString &error);
    void onGuardTimeout();
    void finish();
    void fillFromConnection();
    void closeAndDelete();

    rd::config::SendConnectorConfig m_connector;
    QString m_heloName;
    QString m_target;
    ProbeReport m_report;
    QElapsedTimer m_clock;
    OutboundConnection *m_conn = nullptr; // child
    QTimer *m_guard = nullptr;            // child
    oauth::TokenManager *m_tokens = nullptr; // child; OAuth connectors only
    bool m_started = false;
    bool m_finished = false;
};

// ConnectionOptions for a connector and one of its hosts, as delivery uses them.
ConnectionOptions connectionOptionsFor(const rd::config::SendConnectorConfig &connector, const QString &host,
                                       quint16 port, const QString &heloName);

// How a connection of `connector` signs in with OAuth 2.0 using `tokens`
// (which must have the connector: TokenManager::setConnector); an inactive
// binding for a connector without auth_mechanism oauth2 or without tokens.
OAuthBinding oauthBindingFor(const rd::config::SendConnectorConfig &connector, oauth::TokenManager *tokens);

// Gives `tokens` the OAuth settings of every oauth2 connector in `connectors`
// and forgets the others (call on start and after every configuration change).
void configureTokens(oauth::TokenManager *tokens, const QList<rd::config::SendConnectorConfig> &connectors);

} // namespace rd::delivery

Q_DECLARE_METATYPE(rd::delivery::ProbeReport)
