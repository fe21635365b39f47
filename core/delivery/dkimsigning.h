#pragma once
// Signs outbound mail with the DKIM keys of config.db (config/dkimkeystore.h):
// the key(s) of the message's RFC 5322 From domain, or of its nearest parent
// domain that has one (a key for example.com signs mail from
// news.example.com; DMARC's relaxed alignment accepts that). Every enabled
// key of that domain signs (an RSA and an Ed25519 key side by side give the
// dual signature RFC 8463 recommends).
//
// Signatures are made once per message and cached (a message that goes to
// several destinations or is retried keeps one signature). Only mail from
// clients with the relay right and mail made here is signed; the caller
// decides that (QueueEntry::origin).
//
// Thread: the engine's. Signing reads the spool file (one message, bounded by
// the size limit) and hashes it: microseconds for ordinary mail.

#include "config/dkimkeystore.h"
#include "mailauth/dkimkey.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>

namespace rd::delivery {

struct DkimSignResult {
    QByteArray headers;  // "DKIM-Signature: ...\r\n" fields, empty when not signed
    QString domain;      // the signing domain (d=), empty when not signed
    QStringList selectors;
    QString error;       // set when a key applied but signing failed (the message goes unsigned)
};

class DkimSigner {
public:
    // Replaces the keys (unreadable keys are skipped and listed in *problems).
    void setKeys(const QList<config::DkimSigningKey> &keys, QStringList *problems);
    bool isEmpty() const { return m_keys.isEmpty(); }

    // The signature fields for a message: `prepend` (header fields sent first)
    // followed by the spool file's octets from bodyOffset. Cached by queueId.
    DkimSignResult sign(const QString &queueId, const QString &spoolPath, qint64 bodyOffset,
                        const QByteArray &prepend);
    // Drops the cached signature of a message that left the queue.
    void forget(const QString &queueId) { m_cache.remove(queueId); }

    // The domain whose keys sign mail from `fromDomain`, or empty.
    QString signingDomainFor(const QString &fromDomain) const;

private:
    struct Key {
        QString selector;
        mailauth::DkimKey key;
    };
    QHash<QString, QList<Key>> m_keys; // domain -> keys
    QHash<QString, DkimSignResult> m_cache;
};

} // namespace rd::delivery
