#pragma once
// The DNS checks of one sending domain, run asynchronously:
//  - SPF: present, single, valid, within the lookup limits, authorising each
//    of the relay's public addresses (the SPF evaluator, core/mailauth);
//  - DKIM: for each RelayDesk key of the domain, the selector record is
//    published and carries exactly our public key; key size;
//  - DMARC: present (or inherited from the organizational domain), valid,
//    policy strength and reporting addresses;
//  - MX: the hosts, and whether each answers SMTP (banner, STARTTLS offered);
//  - PTR: each public address has a PTR whose name resolves back to it
//    (forward-confirmed) and matches the HELO name;
//  - DNSBL: each public IPv4 address is not listed on the configured zones.
// Every check ends with a finding, also when DNS fails (a temporary error is
// a warning saying so, never a pass).
//
// Thread: the resolver's (the engine's). Emits progress() and then
// finished() exactly once; deletes nothing by itself.

#include "config/configsnapshot.h"
#include "config/dkimkeystore.h"
#include "dnscheck/dnscheckreport.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QObject>
#include <QStringList>

namespace rd::dns {
class Resolver;
}

namespace rd::dnscheck {

struct CheckInput {
    QString domain;
    QList<QHostAddress> publicAddresses; // the relay as the Internet sees it; empty: skip SPF-IP/PTR/DNSBL parts
    QString heloName;                    // our EHLO name (smtp.hostname)
    QList<config::DkimKeyInfo> keys;     // RelayDesk's DKIM keys for this domain (public facts)
    QStringList dnsblZones;
    quint16 smtpPort = 25;               // port the MX hosts are tested on (delivery.mx_port)
    int smtpTimeoutS = 10;
    int maxMxHosts = 5;
};

// The input for `domain` from a configuration (public addresses, DNSBL zones,
// MX port, host name) and the DKIM keys stored in dataDir's config.db.
CheckInput checkInputFor(const config::ConfigSnapshot &config, const QString &dataDir, const QString &domain);

class DnsChecker : public QObject {
    Q_OBJECT
public:
    DnsChecker(dns::Resolver *resolver, CheckInput input, QObject *parent = nullptr);
    ~DnsChecker() override;

    // Starts the checks; never emits from inside this call.
    void start();
    const CheckInput &input() const { return m_input; }

signals:
    // step: what is being checked now ("SPF", "MX mx1.example.com" ...); done of total steps.
    void progress(const QString &step, int done, int total);
    void finished(const rd::dnscheck::Report &report);

private:
    void checkSpf();
    void checkDkim();
    void checkDmarc();
    void checkMx();
    void checkPtr();
    void checkDnsbl();
    void add(const Finding &f);
    void beginStep(const QString &step);
    void endStep();

    dns::Resolver *m_resolver;
    CheckInput m_input;
    Report m_report;
    QElapsedTimer m_clock;
    int m_total = 0;
    int m_done = 0;
    bool m_finished = false;
};

} // namespace rd::dnscheck
