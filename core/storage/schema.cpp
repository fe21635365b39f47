#include "storage/schema.h"

#include <QRegularExpression>

namespace rd::storage {
namespace {

// Config: settings are key/value rows (typed and bounded by core/config/settings.cpp);
// list-valued things (listeners, accepted domains) get their own tables.
const QVector<Migration> kConfig = {
    {1,
     {
         QStringLiteral("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)"),
         QStringLiteral("CREATE TABLE listeners (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                        " address TEXT NOT NULL, port INTEGER NOT NULL,"
                        " relay_allow TEXT NOT NULL, relay_deny TEXT NOT NULL)"),
         QStringLiteral("CREATE TABLE accepted_domains (domain TEXT PRIMARY KEY)"),
     }},
    // SMTP AUTH users (core/auth/userstore.cpp). `name` is stored as the admin
    // typed it; uniqueness is case-insensitive and enforced by UserStore.
    // password_hash is a self-describing PBKDF2 string; times are ms since epoch (UTC).
    {2,
     {
         QStringLiteral("CREATE TABLE users (name TEXT PRIMARY KEY, password_hash TEXT NOT NULL,"
                        " enabled INTEGER NOT NULL DEFAULT 1, may_relay INTEGER NOT NULL DEFAULT 1,"
                        " created BIGINT NOT NULL, last_login BIGINT,"
                        " last_login_ip TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '')"),
     }},
    // Receive connector modes: TLS mode, role, certificate, plaintext AUTH on loopback.
    {3,
     {
         QStringLiteral("ALTER TABLE listeners ADD COLUMN mode TEXT NOT NULL DEFAULT 'plain'"),
         QStringLiteral("ALTER TABLE listeners ADD COLUMN role TEXT NOT NULL DEFAULT 'relay'"),
         QStringLiteral("ALTER TABLE listeners ADD COLUMN certificate TEXT NOT NULL DEFAULT ''"),
         QStringLiteral("ALTER TABLE listeners ADD COLUMN allow_plaintext_auth INTEGER NOT NULL DEFAULT 0"),
     }},
    // Send connectors (core/config/sendconnector.cpp): outbound routes in order.
    // List-valued columns hold one entry per line. auth_password is a secret:
    // config.db is created owner-only and the value is never exported or logged.
    {4,
     {
         QStringLiteral("CREATE TABLE send_connectors (position INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                        " domains TEXT NOT NULL, route TEXT NOT NULL, smart_hosts TEXT NOT NULL,"
                        " tls TEXT NOT NULL, ca_file TEXT NOT NULL, implicit_tls INTEGER NOT NULL,"
                        " auth_user TEXT NOT NULL, auth_password TEXT NOT NULL,"
                        " connect_timeout_s INTEGER NOT NULL, command_timeout_s INTEGER NOT NULL,"
                        " max_connections INTEGER NOT NULL, max_messages_per_connection INTEGER NOT NULL)"),
     }},
    // Per-listener limits (0: the global setting).
    {5,
     {
         QStringLiteral("ALTER TABLE listeners ADD COLUMN max_message_size BIGINT NOT NULL DEFAULT 0"),
         QStringLiteral("ALTER TABLE listeners ADD COLUMN max_recipients INTEGER NOT NULL DEFAULT 0"),
         QStringLiteral("ALTER TABLE listeners ADD COLUMN max_sessions_per_ip INTEGER NOT NULL DEFAULT 0"),
     }},
    // Smart-host sign-in with OAuth 2.0 (XOAUTH2 / OAUTHBEARER). auth_mechanism:
    // "" (a password when auth_user is set, else none) or "oauth2". `oauth` holds
    // the non-secret settings as JSON (flow, token endpoint, tenant, client id,
    // scope, mailbox, SASL mechanism); `oauth_secret` the secrets as JSON (client
    // secret, client-assertion key): owner-only like auth_password, never exported.
    // oauth_tokens: the refresh token a delegated sign-in returned, per connector
    // name, rewritten by the engine when the token endpoint rotates it.
    {6,
     {
         QStringLiteral("ALTER TABLE send_connectors ADD COLUMN auth_mechanism TEXT NOT NULL DEFAULT ''"),
         QStringLiteral("ALTER TABLE send_connectors ADD COLUMN oauth TEXT NOT NULL DEFAULT ''"),
         QStringLiteral("ALTER TABLE send_connectors ADD COLUMN oauth_secret TEXT NOT NULL DEFAULT ''"),
         QStringLiteral("CREATE TABLE oauth_tokens (connector TEXT PRIMARY KEY, refresh_token TEXT NOT NULL,"
                        " updated BIGINT NOT NULL)"),
     }},
    // DKIM signing keys per sender domain and selector (core/mailauth). The
    // private key is PKCS#8 PEM, a secret like auth_password (config.db is
    // owner-only; never exported, shown or logged).
    {7,
     {
         QStringLiteral("CREATE TABLE dkim_keys (domain TEXT NOT NULL, selector TEXT NOT NULL,"
                        " algorithm TEXT NOT NULL, private_key TEXT NOT NULL, created BIGINT NOT NULL,"
                        " enabled INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (domain, selector))"),
     }},
    // Abuse control (config/policyconfig.h): rate limits and outbound throttles,
    // DNSBL zones with their answer codes, content rules, each in list order.
    // State the engine keeps across restarts: rate counters of windows longer
    // than a minute (core/policy/ratelimiter.h) and greylisting triplets.
    {8,
     {
         QStringLiteral("CREATE TABLE rate_limits (position INTEGER PRIMARY KEY, scope TEXT NOT NULL,"
                        " subject TEXT NOT NULL, metric TEXT NOT NULL, window_s INTEGER NOT NULL,"
                        " maximum INTEGER NOT NULL, enabled INTEGER NOT NULL, comment TEXT NOT NULL)"),
         QStringLiteral("CREATE TABLE dnsbl_zones (position INTEGER PRIMARY KEY, zone TEXT NOT NULL,"
                        " codes TEXT NOT NULL, enabled INTEGER NOT NULL)"),
         QStringLiteral("CREATE TABLE content_rules (position INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                        " target TEXT NOT NULL, field TEXT NOT NULL, match TEXT NOT NULL,"
                        " pattern TEXT NOT NULL, action TEXT NOT NULL, action_arg TEXT NOT NULL,"
                        " enabled INTEGER NOT NULL)"),
         QStringLiteral("CREATE TABLE rate_counters (scope TEXT NOT NULL, subject TEXT NOT NULL,"
                        " metric TEXT NOT NULL, window_s INTEGER NOT NULL, key TEXT NOT NULL,"
                        " bucket BIGINT NOT NULL, count INTEGER NOT NULL,"
                        " PRIMARY KEY (scope, subject, metric, window_s, key, bucket))"),
         QStringLiteral("CREATE TABLE greylist (client_net TEXT NOT NULL, sender TEXT NOT NULL,"
                        " recipient TEXT NOT NULL, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL,"
                        " passed INTEGER NOT NULL, PRIMARY KEY (client_net, sender, recipient))"),
         QStringLiteral("CREATE INDEX greylist_last_seen ON greylist (last_seen)"),
     }},
    // IIS parity (#12). Connection control: address ranges allowed or denied
    // before anything else, by priority (highest first), each with an optional
    // expiry (ms since epoch, 0: never). Bans: addresses refused for a while
    // after repeated failures (AUTH, rejected recipients, protocol errors).
    // ACME: the account key per directory (a secret, like dkim_keys) and the
    // certificates RelayDesk orders and renews itself. MTA-STS: the policy cache
    // per recipient domain (RFC 8461 section 5: used until it expires).
    {9,
     {
         QStringLiteral("CREATE TABLE connection_rules (position INTEGER PRIMARY KEY,"
                        " network TEXT NOT NULL, action TEXT NOT NULL, priority INTEGER NOT NULL,"
                        " expires BIGINT NOT NULL, enabled INTEGER NOT NULL, comment TEXT NOT NULL)"),
         QStringLiteral("CREATE TABLE bans (ip TEXT PRIMARY KEY, reason TEXT NOT NULL,"
                        " created BIGINT NOT NULL, expires BIGINT NOT NULL, failures INTEGER NOT NULL)"),
         QStringLiteral("CREATE TABLE acme_accounts (directory_url TEXT PRIMARY KEY, key_pem TEXT NOT NULL,"
                        " account_url TEXT NOT NULL, email TEXT NOT NULL, created BIGINT NOT NULL)"),
         QStringLiteral("CREATE TABLE acme_certificates (certificate_id TEXT PRIMARY KEY,"
                        " names TEXT NOT NULL, challenge TEXT NOT NULL, directory_url TEXT NOT NULL,"
                        " status TEXT NOT NULL, last_error TEXT NOT NULL, last_attempt BIGINT NOT NULL,"
                        " renew_after BIGINT NOT NULL)"),
         QStringLiteral("CREATE TABLE mta_sts_policies (domain TEXT PRIMARY KEY, policy_id TEXT NOT NULL,"
                        " mode TEXT NOT NULL, mx TEXT NOT NULL, max_age BIGINT NOT NULL,"
                        " fetched BIGINT NOT NULL, expires BIGINT NOT NULL, raw TEXT NOT NULL)"),
     }},
    // Directory sign-in (issue #10), per listener: the groups whose members may
    // relay (one DN per line; empty: directory.relay_groups) and whether a
    // directory user may only send as their own addresses.
    {10,
     {
         QStringLiteral("ALTER TABLE listeners ADD COLUMN relay_groups TEXT NOT NULL DEFAULT ''"),
         QStringLiteral("ALTER TABLE listeners ADD COLUMN sender_check INTEGER NOT NULL DEFAULT 0"),
     }},
    // PROXY protocol (issue #11): the load balancers' addresses/CIDRs, one per line, whose
    // connections start with a PROXY header (v1 or v2) naming the real client.
    {11,
     {
         QStringLiteral("ALTER TABLE listeners ADD COLUMN proxy_from TEXT NOT NULL DEFAULT ''"),
     }},
    // Cluster mode (issue #11): this node's record of its last synchronisation with
    // the shared store (core/cluster/configsync.h): the store revision it holds and a
    // hash per configuration table as of that revision. Local only: a shared store
    // keeps this table empty.
    {12,
     {
         QStringLiteral("CREATE TABLE cluster_sync (name TEXT PRIMARY KEY, value TEXT NOT NULL)"),
     }},
};

// The shared store's own tables (PostgreSQL, beside the Config tables):
// cluster_meta: the fingerprint of the key that encrypts secrets (a node with another
// key refuses to sync); config_revision: one row, bumped by every change;
// config_history: who changed which tables when; nodes: the registry, one row per
// node, rewritten by its heartbeat.
const QVector<Migration> kCluster = {
    {1,
     {
         QStringLiteral("CREATE TABLE cluster_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"),
         QStringLiteral("CREATE TABLE config_revision (id INTEGER PRIMARY KEY CHECK (id = 1),"
                        " revision BIGINT NOT NULL, changed BIGINT NOT NULL)"),
         QStringLiteral("INSERT INTO config_revision (id, revision, changed) VALUES (1, 0, 0)"),
         QStringLiteral("CREATE TABLE config_history (revision BIGINT PRIMARY KEY, ts BIGINT NOT NULL,"
                        " actor TEXT NOT NULL, node TEXT NOT NULL, tables TEXT NOT NULL,"
                        " summary TEXT NOT NULL)"),
         QStringLiteral("CREATE TABLE nodes (name TEXT PRIMARY KEY, version TEXT NOT NULL,"
                        " address TEXT NOT NULL, listeners TEXT NOT NULL, queue_size BIGINT NOT NULL,"
                        " oldest_message BIGINT NOT NULL, heartbeat BIGINT NOT NULL,"
                        " store_latency_us BIGINT NOT NULL, started BIGINT NOT NULL,"
                        " config_revision BIGINT NOT NULL, state TEXT NOT NULL)"),
     }},
};

// Queue index. The spool file is the durable truth for an accepted message;
// these rows carry per-recipient delivery state and make the viewer fast.
const QVector<Migration> kQueue = {
    {1,
     {
         QStringLiteral("CREATE TABLE messages (queue_id TEXT PRIMARY KEY, sender TEXT NOT NULL,"
                        " size BIGINT NOT NULL, received BIGINT NOT NULL, state INTEGER NOT NULL,"
                        " attempts INTEGER NOT NULL DEFAULT 0, next_attempt BIGINT,"
                        " last_error TEXT NOT NULL DEFAULT '', client_ip TEXT NOT NULL DEFAULT '',"
                        " helo TEXT NOT NULL DEFAULT '', message_id TEXT NOT NULL DEFAULT '',"
                        " subject TEXT NOT NULL DEFAULT '', rcpt_count INTEGER NOT NULL,"
                        " rcpt_summary TEXT NOT NULL, body_offset BIGINT NOT NULL,"
                        " eight_bit INTEGER NOT NULL DEFAULT 0)"),
         QStringLiteral("CREATE INDEX messages_received ON messages (received, queue_id)"),
         QStringLiteral("CREATE INDEX messages_state ON messages (state, received)"),
         QStringLiteral("CREATE TABLE recipients (queue_id TEXT NOT NULL, idx INTEGER NOT NULL,"
                        " address TEXT NOT NULL, state INTEGER NOT NULL,"
                        " attempts INTEGER NOT NULL DEFAULT 0, last_reply TEXT NOT NULL DEFAULT '',"
                        " PRIMARY KEY (queue_id, idx))"),
         QStringLiteral("CREATE TABLE attempts (id INTEGER PRIMARY KEY, queue_id TEXT NOT NULL,"
                        " ts BIGINT NOT NULL, host TEXT NOT NULL, result TEXT NOT NULL,"
                        " reply TEXT NOT NULL)"),
         QStringLiteral("CREATE INDEX attempts_queue ON attempts (queue_id, ts)"),
     }},
    // Messages received with SMTPUTF8 need it from the next hop too.
    {2,
     {
         QStringLiteral("ALTER TABLE messages ADD COLUMN smtputf8 INTEGER NOT NULL DEFAULT 0"),
     }},
    // The queue viewer at 100k messages: filter by recipient domain (the
    // expression must match QueueReader's query exactly) and by state in list order.
    {3,
     {
         QStringLiteral("CREATE INDEX recipients_domain ON recipients"
                        " (lower(substr(address, instr(address, '@') + 1)), queue_id)"),
         QStringLiteral("CREATE INDEX messages_state_order ON messages (state, received, queue_id)"),
         QStringLiteral("DROP INDEX messages_state"),
     }},
    // Header fields added after the message was received (Authentication-Results
    // of the inbound checks), sent before the spool file's octets; and where the
    // message came from ("relay": a client with the relay right, "inbound": anyone
    // else, to an accepted domain, "local": made here; '' before v4 = "relay").
    {4,
     {
         QStringLiteral("ALTER TABLE messages ADD COLUMN prepend TEXT NOT NULL DEFAULT ''"),
         QStringLiteral("ALTER TABLE messages ADD COLUMN origin TEXT NOT NULL DEFAULT ''"),
     }},
};

// Log rows: one table of structured events (the log browser's source).
const QVector<Migration> kLog = {
    {1,
     {
         QStringLiteral("CREATE TABLE events (id INTEGER PRIMARY KEY, ts BIGINT NOT NULL,"
                        " kind INTEGER NOT NULL, level TEXT NOT NULL, session_id TEXT NOT NULL,"
                        " direction TEXT NOT NULL, client_ip TEXT NOT NULL,"
                        " client_name TEXT NOT NULL, user TEXT NOT NULL, helo TEXT NOT NULL,"
                        " sender TEXT NOT NULL, recipients TEXT NOT NULL, queue_id TEXT NOT NULL,"
                        " reply_code INTEGER NOT NULL, enhanced_code TEXT NOT NULL,"
                        " bytes BIGINT NOT NULL, tls_version TEXT NOT NULL,"
                        " tls_cipher TEXT NOT NULL, duration_ms BIGINT NOT NULL,"
                        " result TEXT NOT NULL, rule TEXT NOT NULL, message TEXT NOT NULL)"),
         QStringLiteral("CREATE INDEX events_ts ON events (ts)"),
         QStringLiteral("CREATE INDEX events_queue ON events (queue_id)"),
         QStringLiteral("CREATE INDEX events_session ON events (session_id)"),
     }},
    // DNS checks panel: one row per run of the checks for a domain; `report` is
    // the findings as JSON, so the panel can show history and what changed.
    {2,
     {
         QStringLiteral("CREATE TABLE dns_checks (id INTEGER PRIMARY KEY, domain TEXT NOT NULL,"
                        " ts BIGINT NOT NULL, worst TEXT NOT NULL, report TEXT NOT NULL)"),
         QStringLiteral("CREATE INDEX dns_checks_domain ON dns_checks (domain, ts)"),
     }},
    // The log browser: filters by client, user, sender and direction use an
    // index each (with ts for the time range and order); full-text search over
    // the text columns (SQLite FTS5, an external-content index kept by
    // triggers; a PostgreSQL store uses a tsvector index instead). Each SMTP
    // session's command/reply transcript (AUTH secrets redacted) keyed by the
    // session id. Alerts raised by the engine (core/alerts), open until resolved.
    {3,
     {
         QStringLiteral("CREATE INDEX events_ip ON events (client_ip, ts)"),
         QStringLiteral("CREATE INDEX events_user ON events (user, ts)"),
         QStringLiteral("CREATE INDEX events_sender ON events (sender, ts)"),
         QStringLiteral("CREATE INDEX events_kind ON events (kind, ts)"),
         QStringLiteral("CREATE VIRTUAL TABLE events_fts USING fts5(client_ip, client_name, user, helo,"
                        " sender, recipients, queue_id, result, rule, message, content='events',"
                        " content_rowid='id')"),
         QStringLiteral("INSERT INTO events_fts (rowid, client_ip, client_name, user, helo, sender,"
                        " recipients, queue_id, result, rule, message) SELECT id, client_ip,"
                        " client_name, user, helo, sender, recipients, queue_id, result, rule, message"
                        " FROM events"),
         QStringLiteral("CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN"
                        " INSERT INTO events_fts (rowid, client_ip, client_name, user, helo, sender,"
                        " recipients, queue_id, result, rule, message) VALUES (new.id, new.client_ip,"
                        " new.client_name, new.user, new.helo, new.sender, new.recipients, new.queue_id,"
                        " new.result, new.rule, new.message); END"),
         QStringLiteral("CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN"
                        " INSERT INTO events_fts (events_fts, rowid, client_ip, client_name, user, helo,"
                        " sender, recipients, queue_id, result, rule, message) VALUES ('delete', old.id,"
                        " old.client_ip, old.client_name, old.user, old.helo, old.sender, old.recipients,"
                        " old.queue_id, old.result, old.rule, old.message); END"),
         QStringLiteral("CREATE TABLE transcripts (session_id TEXT PRIMARY KEY, ts BIGINT NOT NULL,"
                        " lines TEXT NOT NULL)"),
         QStringLiteral("CREATE INDEX transcripts_ts ON transcripts (ts)"),
         QStringLiteral("CREATE TABLE alerts (id INTEGER PRIMARY KEY, ts BIGINT NOT NULL,"
                        " rule TEXT NOT NULL, subject TEXT NOT NULL, severity TEXT NOT NULL,"
                        " message TEXT NOT NULL, resolved BIGINT NOT NULL DEFAULT 0)"),
         QStringLiteral("CREATE INDEX alerts_ts ON alerts (ts)"),
     }},
    // Message tracking (#12): one row per accepted message, written at receive,
    // so a message can be found by Message-ID, sender, recipient or subject long
    // after it left the queue; its attempts are the events with its queue_id.
    // Outbound TLS results per recipient domain for TLS-RPT (RFC 8460) daily
    // aggregate reports (one row per failure or success count per hour bucket).
    {4,
     {
         QStringLiteral("CREATE TABLE messages (queue_id TEXT PRIMARY KEY, ts BIGINT NOT NULL,"
                        " message_id TEXT NOT NULL, subject TEXT NOT NULL, sender TEXT NOT NULL,"
                        " recipients TEXT NOT NULL, client_ip TEXT NOT NULL, listener TEXT NOT NULL,"
                        " tls TEXT NOT NULL, size BIGINT NOT NULL, origin TEXT NOT NULL)"),
         QStringLiteral("CREATE INDEX messages_ts ON messages (ts)"),
         QStringLiteral("CREATE INDEX messages_message_id ON messages (message_id)"),
         QStringLiteral("CREATE INDEX messages_sender ON messages (sender, ts)"),
         QStringLiteral("CREATE TABLE tls_results (id INTEGER PRIMARY KEY, ts BIGINT NOT NULL,"
                        " domain TEXT NOT NULL, policy_type TEXT NOT NULL, policy TEXT NOT NULL,"
                        " mx_host TEXT NOT NULL, result TEXT NOT NULL, detail TEXT NOT NULL)"),
         QStringLiteral("CREATE INDEX tls_results_domain ON tls_results (domain, ts)"),
     }},
    // Retention deletes TLS-RPT rows by time.
    {5,
     {
         QStringLiteral("CREATE INDEX tls_results_ts ON tls_results (ts)"),
     }},
};

} // namespace

const QVector<Migration> &migrations(DbKind kind)
{
    switch (kind) {
    case DbKind::Config:
        return kConfig;
    case DbKind::Queue:
        return kQueue;
    case DbKind::Log:
        return kLog;
    case DbKind::Cluster:
        return kCluster;
    }
    return kConfig;
}

int latestVersion(DbKind kind)
{
    const auto &m = migrations(kind);
    return m.isEmpty() ? 0 : m.last().version;
}

QString fileName(DbKind kind)
{
    switch (kind) {
    case DbKind::Config:
        return QStringLiteral("config.db");
    case DbKind::Queue:
        return QStringLiteral("queue.db");
    case DbKind::Log:
        return QStringLiteral("log.db");
    case DbKind::Cluster:
        return QString(); // only in a shared store
    }
    return {};
}

QString versionKey(DbKind kind)
{
    // Config keeps the key it always had, so existing files stay at their version.
    return kind == DbKind::Cluster ? QStringLiteral("cluster_schema_version") : QStringLiteral("schema_version");
}

QString forBackend(const QString &statement, Backend backend)
{
    if (backend == Backend::Sqlite)
        return statement;
    // SQLite's rowid alias becomes an identity column; everything else is
    // already common SQL (see the header).
    static const QRegularExpression rowid(QStringLiteral("(?<=[(,]\\s|[(,])id INTEGER PRIMARY KEY(?=\\s*[,)])"));
    QString s = statement;
    s.replace(rowid, QStringLiteral("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"));
    return s;
}

} // namespace rd::storage
