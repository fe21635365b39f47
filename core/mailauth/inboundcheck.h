#pragma once
// The inbound mail checks: SPF of the MAIL FROM domain (or the HELO name for
// the null sender), every DKIM signature, then DMARC of the From domain from
// those two, recorded as one Authentication-Results header field (RFC 8601).
// SPF and DKIM run side by side; the whole check is bounded by a time limit
// after which unfinished methods are recorded as temperror. The checks record;
// they do not reject (RelayDesk is a relay: the next hop, or the admin, decides).
//
// Thread: the resolver's (the engine's). One InboundChecker serves every
// session; each check() is independent.

#include "mailauth/dmarc.h"
#include "mailauth/dkimverifier.h"
#include "mailauth/spf.h"

#include <QByteArray>
#include <QHostAddress>
#include <QObject>
#include <QString>

#include <functional>

namespace rd::dns {
class Resolver;
}

namespace rd::mailauth {

struct InboundCheckRequest {
    QHostAddress clientIp;
    QString helo;
    QString mailFrom;      // envelope sender without <>, empty for the null sender
    QByteArray message;    // the message as received (headers + body, CRLF)
};

struct InboundCheckOutcome {
    SpfOutcome spf;
    QList<DkimSignatureResult> dkim;
    DmarcOutcome dmarc;
    QByteArray header;     // "Authentication-Results: <authserv-id>; ...\r\n"
    QString summary;       // "spf=pass dkim=pass dmarc=pass" for the log
    bool timedOut = false;
};

class InboundChecker : public QObject {
    Q_OBJECT
public:
    // authservId: our host name (the AR header's authserv-id).
    InboundChecker(dns::Resolver *resolver, const QString &authservId, QObject *parent = nullptr);

    void setAuthservId(const QString &id) { m_authservId = id; }
    void setTimeLimitMs(int ms) { m_timeLimitMs = ms; }

    // Runs the checks; `done` is called exactly once, later, from the event
    // loop, unless `context` is destroyed first.
    void check(const InboundCheckRequest &request, QObject *context,
               std::function<void(const InboundCheckOutcome &)> done);

    // The Authentication-Results field for finished results (pure).
    static QByteArray composeHeader(const QString &authservId, const InboundCheckRequest &request,
                                    const InboundCheckOutcome &outcome, QString *summary);

private:
    dns::Resolver *m_resolver;
    QString m_authservId;
    int m_timeLimitMs = 8000;
    SpfEvaluator *m_spf;
    DkimVerifier *m_dkim;
    DmarcEvaluator *m_dmarc;
};

} // namespace rd::mailauth
