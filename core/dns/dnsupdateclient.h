#pragma once
// DnsUpdateClient: publishes and removes TXT records on a primary DNS server
// by DNS UPDATE (RFC 2136) signed with TSIG (RFC 8945), over TCP (a 2-byte
// length before each message, RFC 1035 4.2.2). Used by the ACME client for
// fully automatic dns-01 (acme/acmeorder.h). The messages are built and
// checked by the pure functions of dns/dnsupdate.h.
//
// The zone of each record is the configured one, or else asked from the
// update server itself: a SOA query for the record's name, whose
// authoritative reply carries the zone's SOA (in the answer or, for a name
// without records, the authority section). Records of one zone go in one
// UPDATE (all or nothing, RFC 2136 3.7).
//
// Thread: lives in the creating thread; never blocks (QTcpSocket, a timer per
// exchange). Callbacks run later from the event loop, never inside apply();
// none after the client is destroyed. The secret is never logged or put in an
// error text.

#include "dns/dnsupdate.h"

#include <QHash>
#include <QObject>

#include <functional>

namespace rd::dns {

struct DnsUpdateConfig {
    QString host;           // the primary server's name or address
    quint16 port = 53;
    QString zone;           // empty: found by a SOA query to the server
    update::TsigKey key;
    quint32 ttl = 60;       // TTL of the added records
    int timeoutMs = 10000;  // per exchange (connect, send, reply)

    bool isEnabled() const { return !host.isEmpty(); }
    QString serverText() const;  // "host:port" ("[v6]:port")
};

class DnsUpdateClient : public QObject {
    Q_OBJECT
public:
    // ok, or a sentence: "DNS UPDATE (add TXT _acme-challenge.x in zone x) at 10.0.0.1:53 failed: the
    // server said NOTAUTH (BADSIG): ...". applied: the records that are or may be in the zone: those
    // of the zones whose UPDATE succeeded (each zone's UPDATE is all or nothing), and of the failed
    // one unless the server answered it with an error RCODE (after a timeout, a lost connection or a
    // reply that does not verify it may have applied it); all of them when ok.
    using Callback = std::function<void(bool ok, const QString &error, const QList<update::TxtRr> &applied)>;

    explicit DnsUpdateClient(DnsUpdateConfig config, QObject *parent = nullptr);
    ~DnsUpdateClient() override;

    // Adds the records (UpdateAction::Add, with config.ttl) or deletes exactly
    // these records (Delete; deleting a record that is not there succeeds).
    // Several calls may run at once. cb: once, later.
    void apply(update::UpdateAction action, const QList<update::TxtRr> &records, Callback cb);

    const DnsUpdateConfig &config() const { return m_config; }

private:
    struct Job;
    class Exchange;
    void resolveZones(const std::shared_ptr<Job> &job);
    void sendBatches(const std::shared_ptr<Job> &job);
    void finishJob(const std::shared_ptr<Job> &job, const QString &error);
    void exchange(const QByteArray &message, std::function<void(const QByteArray &, const QString &)> done);

    DnsUpdateConfig m_config;
    QHash<QString, QString> m_zoneOf; // record name -> zone found by SOA (kept for the client's life)
};

} // namespace rd::dns
