#include "dns/caresresolver.h"

#include "dns/dnswire.h"

#include <QLoggingCategory>
#include <QSocketNotifier>

#include <ares.h>
#ifndef _WIN32
#include <netdb.h> // struct hostent (ares.h brings in winsock2.h's on Windows)
#endif

#include <algorithm>
#include <cstring>
#include <memory>

Q_LOGGING_CATEGORY(lcDns, "relaydesk.dns", QtInfoMsg) // debug lines off by default

namespace rd::dns {

namespace {

// c-ares's global state (WinSock on Windows): initialised once, never cleaned
// up (the process ends first; cleanup would race other resolvers).
bool libraryReady()
{
    static const int rc = ares_library_init(ARES_LIB_INIT_ALL);
    return rc == ARES_SUCCESS;
}

constexpr qintptr kNoSocket = qintptr(-1);

ares_socket_t toAres(qintptr fd)
{
    return fd == kNoSocket ? ARES_SOCKET_BAD : ares_socket_t(fd);
}

// What c-ares gets as the query's `arg`: deleted by the answer callback, which
// c-ares calls exactly once per query (with ARES_EDESTRUCTION on ares_destroy).
struct QueryArg {
    CaresResolver *self;
    QString key;
    bool raw = false; // sent with ares_send(): the RCODE is not yet mapped to a status
};

// ares_send() hands back any response as ARES_SUCCESS; map it the way
// ares_query() does (NXDOMAIN, no answer records, server errors).
int rawStatus(int status, const unsigned char *abuf, int alen)
{
    if (status != ARES_SUCCESS)
        return status;
    const std::optional<wire::Message> m = wire::parseMessage(abuf, alen);
    if (!m)
        return ARES_EBADRESP;
    switch (m->rcode) {
    case wire::RcodeNoError: return m->answerCount == 0 ? ARES_ENODATA : ARES_SUCCESS;
    case wire::RcodeFormErr: return ARES_EFORMERR;
    case wire::RcodeServFail: return ARES_ESERVFAIL;
    case wire::RcodeNxDomain: return ARES_ENOTFOUND;
    case wire::RcodeNotImp: return ARES_ENOTIMP;
    case wire::RcodeRefused: return ARES_EREFUSED;
    default: return ARES_EBADRESP;
    }
}

QString stripDot(const char *name)
{
    QString s = QString::fromUtf8(name ? name : "");
    if (s.endsWith(QLatin1Char('.')) && s.size() > 1)
        s.chop(1);
    return s.isEmpty() ? QStringLiteral(".") : s;
}

QHostAddress v4FromBytes(const void *addr)
{
    const auto *b = static_cast<const unsigned char *>(addr);
    return QHostAddress((quint32(b[0]) << 24) | (quint32(b[1]) << 16) | (quint32(b[2]) << 8)
                        | quint32(b[3]));
}

quint32 ttlAt(const QList<quint32> &ttls, qsizetype i, quint32 fallback)
{
    return i < ttls.size() ? ttls.at(i) : fallback;
}

} // namespace

struct CaresCallbacks {
    static void sockState(void *data, ares_socket_t fd, int readable, int writable)
    {
        auto *self = static_cast<CaresResolver *>(data);
        if (!self->m_destroying)
            self->onSocketState(qintptr(fd), readable != 0, writable != 0);
    }
    static void answer(void *arg, int status, int /*timeouts*/, unsigned char *abuf, int alen)
    {
        std::unique_ptr<QueryArg> q(static_cast<QueryArg *>(arg));
        if (status == ARES_EDESTRUCTION || q->self->m_destroying)
            return; // the resolver is going away: no user callback
        q->self->onAnswer(q->key, q->raw ? rawStatus(status, abuf, alen) : status, abuf, alen);
    }
};

CaresResolver::CaresResolver(const ResolverConfig &config, QObject *parent)
    : Resolver(parent), m_config(config),
      m_cache(config.cacheMaxEntries, config.maxTtl)
{
    m_clock.start();
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, [this] { process(kNoSocket, kNoSocket); });
    if (!init())
        qCWarning(lcDns).noquote() << "event=dns_init_failed error=" + m_error;
}

CaresResolver::~CaresResolver()
{
    m_destroying = true;
    m_timer.stop();
    for (auto &[fd, n] : m_notifiers) {
        delete n.read;
        delete n.write;
    }
    m_notifiers.clear();
    if (m_channel)
        ares_destroy(m_channel); // answers outstanding queries with ARES_EDESTRUCTION
    m_channel = nullptr;
}

bool CaresResolver::init()
{
    if (!libraryReady()) {
        m_error = QStringLiteral("c-ares library init failed");
        return false;
    }
    // Servers first: a bad entry is a configuration error, reported as such.
    std::vector<ares_addr_port_node> nodes;
    for (const QString &text : m_config.servers) {
        QString why;
        const std::optional<ServerAddress> server = parseServerAddress(text, &why);
        if (!server) {
            m_error = why;
            return false;
        }
        ares_addr_port_node node;
        std::memset(&node, 0, sizeof node);
        if (server->address.protocol() == QAbstractSocket::IPv6Protocol) {
            node.family = AF_INET6;
            const Q_IPV6ADDR v6 = server->address.toIPv6Address();
            static_assert(sizeof(node.addr.addr6) == 16);
            std::memcpy(&node.addr.addr6, v6.c, 16);
        } else {
            node.family = AF_INET;
            const quint32 v4 = server->address.toIPv4Address();
            const unsigned char b[4] = {uchar(v4 >> 24), uchar(v4 >> 16), uchar(v4 >> 8),
                                        uchar(v4)};
            std::memcpy(&node.addr.addr4, b, 4);
        }
        node.udp_port = server->port;
        node.tcp_port = server->port;
        nodes.push_back(node);
    }
    for (size_t i = 0; i + 1 < nodes.size(); ++i)
        nodes[i].next = &nodes[i + 1];

    ares_options opts;
    std::memset(&opts, 0, sizeof opts);
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS
        | ARES_OPT_EDNSPSZ;
    opts.sock_state_cb = &CaresCallbacks::sockState;
    opts.sock_state_cb_data = this;
    opts.timeout = std::clamp(m_config.timeoutMs, 10, 60000);
    opts.tries = std::clamp(m_config.tries, 1, 10);
    opts.flags = ARES_FLAG_EDNS; // large TXT (SPF, DKIM) over UDP; TC still falls back to TCP
    opts.ednspsz = 1232;         // DNS flag day 2020
    ares_channel channel = nullptr;
    const int rc = ares_init_options(&channel, &opts, mask);
    if (rc != ARES_SUCCESS) {
        m_error = QStringLiteral("c-ares init: %1").arg(QString::fromUtf8(ares_strerror(rc)));
        if (channel)
            ares_destroy(channel);
        return false;
    }
    if (!nodes.empty()) {
        const int src = ares_set_servers_ports(channel, nodes.data());
        if (src != ARES_SUCCESS) {
            m_error = QStringLiteral("c-ares servers: %1")
                          .arg(QString::fromUtf8(ares_strerror(src)));
            ares_destroy(channel);
            return false;
        }
    }
    m_channel = channel;
    return true;
}

QStringList CaresResolver::servers() const
{
    QStringList out;
    if (!m_channel)
        return out;
    ares_addr_port_node *list = nullptr;
    if (ares_get_servers_ports(m_channel, &list) != ARES_SUCCESS)
        return out;
    for (const ares_addr_port_node *n = list; n; n = n->next) {
        ServerAddress s;
        if (n->family == AF_INET6)
            s.address = QHostAddress(reinterpret_cast<const quint8 *>(&n->addr.addr6));
        else
            s.address = v4FromBytes(&n->addr.addr4);
        s.port = quint16(n->udp_port ? n->udp_port : 53);
        out.append(s.toString());
    }
    ares_free_data(list);
    return out;
}

QString CaresResolver::caresVersion()
{
    return QString::fromLatin1(ares_version(nullptr));
}

void CaresResolver::startLookup(RequestId id, const QString &name, RecordType type)
{
    if (!m_channel) {
        finishLater(id, failureAnswer(name, type));
        return;
    }
    const QString key = ResolverCache::key(name, type);
    if (m_config.cacheEnabled) {
        if (std::optional<Answer> hit = m_cache.find(name, type, nowMs())) {
            ++m_stats.cacheHits;
            hit->type = type;
            finishLater(id, std::move(*hit));
            return;
        }
    }
    m_waiterKey.emplace(id, key);
    auto it = m_inflight.find(key);
    if (it != m_inflight.end()) {
        ++m_stats.coalesced;
        it->second.waiters.append(id);
        return;
    }
    Inflight q;
    q.name = name;
    q.type = type;
    q.waiters.append(id);
    m_inflight.emplace(key, std::move(q));
    ++m_stats.queriesSent;
    qCDebug(lcDns).noquote() << QStringLiteral("event=dns_query name=%1 type=%2")
                                    .arg(name, recordTypeName(type));
    // May call CaresCallbacks::answer at once (e.g. no usable server); that
    // only schedules the user callbacks, so nothing runs re-entrantly here.
    if (type == RecordType::TLSA || m_config.requestAd) {
        // ares_query() cannot set AD: build the query, set AD (RFC 6840 5.7:
        // a validating resolver then reports the DNSSEC status) and send it.
        unsigned char *buf = nullptr;
        int len = 0;
        const int rc = ares_create_query(name.toLatin1().constData(), wire::ClassIN, recordTypeCode(type), 0, 1,
                                         &buf, &len, 1232);
        if (rc != ARES_SUCCESS || len < 4) {
            if (buf)
                ares_free_string(buf);
            CaresCallbacks::answer(new QueryArg{this, key, true}, rc == ARES_SUCCESS ? ARES_EBADQUERY : rc, 0,
                                   nullptr, 0);
        } else {
            buf[3] |= 0x20; // AD
            ares_send(m_channel, buf, len, &CaresCallbacks::answer, new QueryArg{this, key, true});
            ares_free_string(buf);
        }
    } else {
        ares_query(m_channel, name.toLatin1().constData(), wire::ClassIN, recordTypeCode(type),
                   &CaresCallbacks::answer, new QueryArg{this, key});
    }
    updateTimer();
}

void CaresResolver::cancelLookup(RequestId id)
{
    auto wit = m_waiterKey.find(id);
    if (wit == m_waiterKey.end())
        return;
    auto it = m_inflight.find(wit->second);
    if (it != m_inflight.end())
        it->second.waiters.removeAll(id);
    m_waiterKey.erase(wit);
    // The query goes on: its answer still fills the cache.
}

void CaresResolver::onSocketState(qintptr fd, bool readable, bool writable)
{
    // Called from inside c-ares, possibly from a notifier's own activation:
    // retired notifiers are disabled now and deleted later.
    const auto retire = [](QSocketNotifier *&n) {
        if (n) {
            n->setEnabled(false);
            n->deleteLater();
            n = nullptr;
        }
    };
    if (!readable && !writable) {
        auto it = m_notifiers.find(fd);
        if (it != m_notifiers.end()) {
            retire(it->second.read);
            retire(it->second.write);
            m_notifiers.erase(it);
        }
        return;
    }
    Notifiers &n = m_notifiers[fd];
    if (readable && !n.read) {
        n.read = new QSocketNotifier(fd, QSocketNotifier::Read, this);
        connect(n.read, &QSocketNotifier::activated, this, [this, fd] { process(fd, kNoSocket); });
    }
    if (writable && !n.write) {
        n.write = new QSocketNotifier(fd, QSocketNotifier::Write, this);
        connect(n.write, &QSocketNotifier::activated, this, [this, fd] { process(kNoSocket, fd); });
    }
    if (n.read)
        n.read->setEnabled(readable);
    if (n.write)
        n.write->setEnabled(writable);
}

void CaresResolver::process(qintptr readFd, qintptr writeFd)
{
    if (!m_channel)
        return;
    ares_process_fd(m_channel, toAres(readFd), toAres(writeFd));
    updateTimer();
}

void CaresResolver::updateTimer()
{
    if (!m_channel || m_destroying)
        return;
    timeval tv;
    if (!ares_timeout(m_channel, nullptr, &tv)) {
        m_timer.stop(); // no query pending
        return;
    }
    const qint64 ms = qint64(tv.tv_sec) * 1000 + (qint64(tv.tv_usec) + 999) / 1000;
    m_timer.start(int(std::clamp<qint64>(ms, 0, 3600 * 1000)));
}

void CaresResolver::onAnswer(const QString &key, int status, const unsigned char *abuf, int alen)
{
    auto it = m_inflight.find(key);
    if (it == m_inflight.end())
        return;
    Inflight q = std::move(it->second);
    m_inflight.erase(it);
    const Answer answer = buildAnswer(q.name, q.type, status, abuf, alen);
    qCDebug(lcDns).noquote() << QStringLiteral("event=dns_answer name=%1 type=%2 status=%3 ttl=%4")
                                    .arg(q.name, recordTypeName(q.type), statusName(answer.status))
                                    .arg(answer.ttl);
    if (m_config.cacheEnabled)
        m_cache.insert(q.name, q.type, answer, nowMs());
    for (RequestId id : std::as_const(q.waiters)) {
        m_waiterKey.erase(id);
        finishLater(id, answer); // from the event loop, never from inside c-ares
    }
}

Answer CaresResolver::failureAnswer(const QString &name, RecordType type) const
{
    Answer a;
    a.name = name;
    a.type = type;
    a.canonicalName = name;
    a.status = Status::ServerFailure;
    a.error = m_error.isEmpty() ? QStringLiteral("resolver not initialised") : m_error;
    return a;
}

Answer CaresResolver::buildAnswer(const QString &name, RecordType type, int status,
                                  const unsigned char *abuf, int alen) const
{
    Answer a;
    a.name = name;
    a.type = type;
    a.canonicalName = name;
    std::optional<wire::Message> msg;
    if (abuf && alen > 0)
        msg = wire::parseMessage(abuf, alen);
    const auto negative = [&](Status s, const QString &why) {
        a.status = s;
        a.error = why;
        quint32 ttl = msg && msg->negativeTtl ? *msg->negativeTtl : m_config.defaultNegativeTtl;
        if (msg) {
            a.authenticated = msg->authenticData; // an authenticated denial (NSEC/NSEC3)
            a.canonicalName = msg->canonicalName();
            if (const std::optional<quint32> chain = msg->minTtl()) // CNAMEs before the gap
                ttl = std::min(ttl, *chain);
        }
        a.ttl = ttl;
        return a;
    };
    const QString aresText = QString::fromUtf8(ares_strerror(status));
    switch (status) {
    case ARES_SUCCESS:
        break;
    case ARES_ENODATA:
        return negative(Status::NoData, QStringLiteral("no %1 record").arg(recordTypeName(type)));
    case ARES_ENOTFOUND:
        return negative(Status::NxDomain, QStringLiteral("no such domain"));
    case ARES_ETIMEOUT:
        a.status = Status::Timeout;
        a.error = QStringLiteral("DNS timeout");
        return a;
    case ARES_EFORMERR:
    case ARES_EBADRESP:
        a.status = Status::Malformed;
        a.error = aresText;
        return a;
    case ARES_EBADNAME:
        a.status = Status::InvalidName;
        a.error = aresText;
        return a;
    default: // ESERVFAIL, EREFUSED, ENOTIMP, ECONNREFUSED, ECANCELLED, ENOMEM, ...
        a.status = Status::ServerFailure;
        a.error = aresText;
        return a;
    }
    if (!msg) {
        a.status = Status::Malformed;
        a.error = QStringLiteral("unparsable DNS response");
        return a;
    }
    a.canonicalName = msg->canonicalName();
    a.ttl = msg->minTtl().value_or(0);
    a.authenticated = msg->authenticData;

    int rc = ARES_SUCCESS;
    switch (type) {
    case RecordType::A: {
        ares_addrttl ttls[64];
        int n = 64;
        rc = ares_parse_a_reply(abuf, alen, nullptr, ttls, &n);
        for (int i = 0; rc == ARES_SUCCESS && i < n; ++i)
            a.addresses.append({v4FromBytes(&ttls[i].ipaddr), quint32(std::max(0, ttls[i].ttl))});
        break;
    }
    case RecordType::AAAA: {
        ares_addr6ttl ttls[64];
        int n = 64;
        rc = ares_parse_aaaa_reply(abuf, alen, nullptr, ttls, &n);
        for (int i = 0; rc == ARES_SUCCESS && i < n; ++i) {
            a.addresses.append({QHostAddress(reinterpret_cast<const quint8 *>(&ttls[i].ip6addr)),
                                quint32(std::max(0, ttls[i].ttl))});
        }
        break;
    }
    case RecordType::MX: {
        ares_mx_reply *list = nullptr;
        rc = ares_parse_mx_reply(abuf, alen, &list);
        const QList<quint32> ttls = msg->ttlsOf(wire::TypeMX);
        qsizetype i = 0;
        for (const ares_mx_reply *m = list; rc == ARES_SUCCESS && m; m = m->next, ++i)
            a.mx.append({m->priority, stripDot(m->host), ttlAt(ttls, i, a.ttl)});
        if (list)
            ares_free_data(list);
        std::stable_sort(a.mx.begin(), a.mx.end(), [](const MxRecord &x, const MxRecord &y) {
            return x.preference < y.preference;
        });
        break;
    }
    case RecordType::TXT: {
        ares_txt_ext *list = nullptr;
        rc = ares_parse_txt_reply_ext(abuf, alen, &list);
        const QList<quint32> ttls = msg->ttlsOf(wire::TypeTXT);
        for (const ares_txt_ext *t = list; rc == ARES_SUCCESS && t; t = t->next) {
            if (t->record_start || a.txt.isEmpty()) {
                a.txt.append(TxtRecord{});
                a.txt.last().ttl = ttlAt(ttls, a.txt.size() - 1, a.ttl);
            }
            a.txt.last().strings.append(
                QByteArray(reinterpret_cast<const char *>(t->txt), qsizetype(t->length)));
        }
        if (list)
            ares_free_data(list);
        break;
    }
    case RecordType::PTR: {
        hostent *host = nullptr;
        const unsigned char dummy[16] = {}; // only copied into h_addr_list
        rc = ares_parse_ptr_reply(abuf, alen, dummy, 4, AF_INET, &host);
        const QList<quint32> ttls = msg->ttlsOf(wire::TypePTR);
        if (rc == ARES_SUCCESS && host) {
            qsizetype i = 0;
            for (char **alias = host->h_aliases; alias && *alias; ++alias, ++i)
                a.names.append({stripDot(*alias), ttlAt(ttls, i, a.ttl)});
            if (a.names.isEmpty() && host->h_name)
                a.names.append({stripDot(host->h_name), ttlAt(ttls, 0, a.ttl)});
        }
        if (host)
            ares_free_hostent(host);
        break;
    }
    case RecordType::TLSA:
        // No c-ares parser for TLSA: the wire walker keeps the RDATA.
        for (const wire::Record &r : std::as_const(msg->answers)) {
            if (r.type == wire::TypeTLSA && r.rrClass == wire::ClassIN)
                a.rdata.append(r.rdata);
        }
        if (a.rdata.isEmpty())
            rc = ARES_ENODATA;
        break;
    case RecordType::CNAME:
        // No c-ares parser for CNAME: the wire walker has the targets.
        for (const wire::Record &r : std::as_const(msg->answers)) {
            if (r.type == wire::TypeCNAME && r.owner.compare(name, Qt::CaseInsensitive) == 0)
                a.names.append({r.target.isEmpty() ? QStringLiteral(".") : r.target, r.ttl});
        }
        if (a.names.isEmpty())
            rc = ARES_ENODATA;
        break;
    }

    const bool empty = a.addresses.isEmpty() && a.mx.isEmpty() && a.txt.isEmpty()
        && a.names.isEmpty() && a.rdata.isEmpty();
    if (rc == ARES_ENODATA || (rc == ARES_SUCCESS && empty)) {
        a.addresses.clear();
        a.mx.clear();
        a.txt.clear();
        a.names.clear();
        a.rdata.clear();
        return negative(Status::NoData, QStringLiteral("no %1 record").arg(recordTypeName(type)));
    }
    if (rc != ARES_SUCCESS) {
        a.status = Status::Malformed;
        a.error = QString::fromUtf8(ares_strerror(rc));
        a.ttl = 0;
        return a;
    }
    a.status = Status::Ok;
    return a;
}

} // namespace rd::dns
