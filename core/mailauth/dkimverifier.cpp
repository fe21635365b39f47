#include "mailauth/dkimverifier.h"

#include "mailauth/dkimcanon.h"
#include "mailauth/dkimcrypto.h"
#include "mailauth/dkimkeyrecord.h"
#include "mailauth/dkimsignature.h"

#include <QDateTime>
#include <QMetaObject>
#include <QTimer>

#include <optional>
#include "util/textchars.h"

namespace rd::mailauth {

namespace {
using util::asciiLower;

constexpr int kMinRsaBits = 1024; // RFC 8301 3.2
constexpr int kMaxRsaBits = 8192; // bigger keys are refused (cost)

} // namespace

QString dkimResultName(DkimResult r)
{
    switch (r) {
    case DkimResult::None:
        return QStringLiteral("none");
    case DkimResult::Pass:
        return QStringLiteral("pass");
    case DkimResult::Fail:
        return QStringLiteral("fail");
    case DkimResult::Neutral:
        return QStringLiteral("neutral");
    case DkimResult::TempError:
        return QStringLiteral("temperror");
    case DkimResult::PermError:
        return QStringLiteral("permerror");
    case DkimResult::Policy:
        return QStringLiteral("policy");
    }
    return QStringLiteral("none");
}

struct DkimVerifier::SignatureState {
    DkimHeaderField field;
    std::optional<DkimSignatureFields> sig;
    QByteArray bBase64; // for header.b, even when the signature did not parse
    DkimSignatureResult result;
    dns::RequestId lookup = 0;
    bool pending = false;
};

struct DkimVerifier::Job {
    DkimMessage message;
    QPointer<QObject> context;
    bool hasContext = false;
    DkimVerifyCallback done;
    QList<SignatureState> sigs;
    int pending = 0;
    QTimer *timer = nullptr;
    bool finishing = false;
};

DkimVerifier::DkimVerifier(dns::Resolver *resolver, QObject *parent) : QObject(parent), m_resolver(resolver) {}

DkimVerifier::~DkimVerifier()
{
    for (auto &[id, job] : m_jobs) {
        for (SignatureState &s : job->sigs) {
            if (s.pending && m_resolver)
                m_resolver->cancel(s.lookup);
        }
    }
}

qint64 DkimVerifier::now() const
{
    return m_now >= 0 ? m_now : QDateTime::currentSecsSinceEpoch();
}

void DkimVerifier::verify(const QByteArray &message, QObject *context, DkimVerifyCallback done)
{
    const quint64 jobId = m_nextJob++;
    auto job = std::make_shared<Job>();
    job->message = splitDkimMessage(message);
    job->context = context;
    job->hasContext = context != nullptr;
    job->done = std::move(done);
    m_jobs[jobId] = job;

    const qint64 nowS = now();
    for (const DkimHeaderField &f : job->message.headers) {
        if (!dkimHeaderNameEquals(f.name, "DKIM-Signature"))
            continue;
        SignatureState st;
        st.field = f;
        DkimSignatureResult &r = st.result;
        // Best effort for the result's fields, even for a malformed signature.
        const qsizetype colon = f.raw.indexOf(':');
        if (auto tags = parseDkimTagList(QByteArrayView(f.raw).sliced(colon + 1))) {
            r.domain = QString::fromLatin1(tags->value("d"));
            r.selector = QString::fromLatin1(tags->value("s"));
            r.algorithm = QString::fromLatin1(tags->value("a"));
            r.identity = QString::fromLatin1(tags->value("i"));
            st.bBase64 = dkimStripWhitespace(tags->value("b"));
        }
        if (job->sigs.size() >= m_maxSignatures) {
            r.result = DkimResult::Policy;
            r.reason = QStringLiteral("not checked: more than %1 signatures").arg(m_maxSignatures);
            job->sigs.append(st);
            continue;
        }
        QString error;
        st.sig = parseDkimSignature(f, &error);
        if (!st.sig) {
            r.result = DkimResult::PermError;
            r.reason = error;
        } else {
            r.identity = QString::fromLatin1(st.sig->identity);
            if (st.sig->expiration >= 0 && st.sig->expiration < nowS) {
                r.result = DkimResult::PermError;
                r.reason = QStringLiteral("signature expired");
            } else {
                st.pending = true;
            }
        }
        job->sigs.append(st);
    }

    // header.b: the shortest prefix (8 at least) that no other signature shares.
    for (SignatureState &s : job->sigs) {
        qsizetype len = std::min<qsizetype>(8, s.bBase64.size());
        for (bool clash = true; clash && len < s.bBase64.size();) {
            clash = false;
            for (const SignatureState &o : job->sigs) {
                if (&o != &s && o.bBase64 != s.bBase64 && o.bBase64.startsWith(s.bBase64.left(len)))
                    clash = true;
            }
            if (clash)
                ++len;
        }
        s.result.headerB = s.bBase64.left(len);
    }

    for (int i = 0; i < job->sigs.size(); ++i) {
        SignatureState &s = job->sigs[i];
        if (!s.pending)
            continue;
        if (!m_resolver) {
            s.pending = false;
            s.result.result = DkimResult::TempError;
            s.result.reason = QStringLiteral("DNS failure: no resolver");
            continue;
        }
        ++job->pending;
        s.lookup = m_resolver->lookupTxt(s.sig->keyName(), this, [this, jobId, i](const dns::Answer &a) {
            onKeyAnswer(jobId, i, a);
        });
    }
    if (job->pending == 0) {
        job->finishing = true;
        QMetaObject::invokeMethod(this, [this, jobId] { finishJob(jobId); }, Qt::QueuedConnection);
        return;
    }
    if (m_timeLimitMs > 0) {
        job->timer = new QTimer(this);
        job->timer->setSingleShot(true);
        connect(job->timer, &QTimer::timeout, this, [this, jobId] { onTimeLimit(jobId); });
        job->timer->start(m_timeLimitMs);
    }
}

void DkimVerifier::onKeyAnswer(quint64 jobId, int index, const dns::Answer &answer)
{
    auto it = m_jobs.find(jobId);
    if (it == m_jobs.end())
        return;
    std::shared_ptr<Job> job = it->second;
    if (index < 0 || index >= job->sigs.size() || !job->sigs[index].pending)
        return;
    SignatureState &st = job->sigs[index];
    st.pending = false;
    --job->pending;
    DkimSignatureResult &r = st.result;
    const DkimSignatureFields &sig = *st.sig;

    auto done = [&](DkimResult result, const QString &reason) {
        r.result = result;
        r.reason = reason;
        if (job->pending == 0)
            finishJob(jobId);
    };

    if (!answer.ok()) {
        if (dns::isPermanent(answer.status))
            return done(DkimResult::PermError, QStringLiteral("no key for signature"));
        if (answer.status == dns::Status::Timeout)
            return done(DkimResult::TempError, QStringLiteral("DNS timeout"));
        return done(DkimResult::TempError, QStringLiteral("DNS failure (%1)").arg(dns::statusName(answer.status)));
    }
    std::optional<DkimKeyRecord> record;
    QString recordError;
    for (const dns::TxtRecord &txt : answer.txt) {
        QString e;
        record = parseDkimKeyRecord(txt.text(), &e);
        if (record)
            break;
        if (recordError.isEmpty())
            recordError = e;
    }
    if (!record)
        return done(DkimResult::PermError, recordError.isEmpty() ? QStringLiteral("no key for signature") : recordError);
    r.testing = record->testing;
    if (record->revoked)
        return done(DkimResult::PermError, QStringLiteral("key revoked"));
    const QByteArray wantType = sig.algorithm == "ed25519-sha256" ? QByteArray("ed25519") : QByteArray("rsa");
    if (record->keyType != wantType)
        return done(DkimResult::PermError, QStringLiteral("key type k=%1 does not fit a=%2")
                                               .arg(QString::fromLatin1(record->keyType), QString::fromLatin1(sig.algorithm)));
    if (!record->allowsHash("sha256"))
        return done(DkimResult::PermError, QStringLiteral("key does not allow sha256 (h=)"));
    if (record->strict && asciiLower(sig.identityDomain()) != asciiLower(sig.domain))
        return done(DkimResult::PermError, QStringLiteral("key forbids i= subdomains (t=s)"));
    QString keyError;
    const std::optional<DkimPublicKey> key = DkimPublicKey::fromRecord(*record, &keyError);
    if (!key)
        return done(DkimResult::PermError, QStringLiteral("bad key: %1").arg(keyError));
    r.keyBits = key->bits;
    if (key->keyType == "rsa" && key->bits < kMinRsaBits)
        return done(DkimResult::PermError, QStringLiteral("RSA key shorter than 1024 bits (%1)").arg(key->bits));
    if (key->keyType == "rsa" && key->bits > kMaxRsaBits)
        return done(DkimResult::PermError, QStringLiteral("RSA key longer than %1 bits").arg(kMaxRsaBits));

    const std::optional<QByteArray> bodyHash = dkimBodyHash(job->message.body, sig.bodyCanon, sig.bodyLength);
    if (!bodyHash)
        return done(DkimResult::PermError, QStringLiteral("l= is longer than the body"));
    if (*bodyHash != sig.bodyHash)
        return done(DkimResult::Fail, QStringLiteral("body hash mismatch"));
    const QByteArray data = dkimHeaderData(job->message, sig.headers, st.field, sig.bValueStart, sig.bValueEnd,
                                           sig.headerCanon);
    if (!key->verify(data, sig.signature))
        return done(DkimResult::Fail, QStringLiteral("signature did not verify"));
    return done(DkimResult::Pass, QString());
}

void DkimVerifier::onTimeLimit(quint64 jobId)
{
    auto it = m_jobs.find(jobId);
    if (it == m_jobs.end())
        return;
    std::shared_ptr<Job> job = it->second;
    for (SignatureState &s : job->sigs) {
        if (!s.pending)
            continue;
        if (m_resolver)
            m_resolver->cancel(s.lookup);
        s.pending = false;
        s.result.result = DkimResult::TempError;
        s.result.reason = QStringLiteral("DNS timeout");
    }
    job->pending = 0;
    finishJob(jobId);
}

void DkimVerifier::finishJob(quint64 jobId)
{
    auto it = m_jobs.find(jobId);
    if (it == m_jobs.end())
        return;
    std::shared_ptr<Job> job = it->second;
    m_jobs.erase(it);
    if (job->timer) {
        job->timer->stop();
        job->timer->deleteLater();
    }
    if (job->hasContext && !job->context)
        return;
    QList<DkimSignatureResult> results;
    for (const SignatureState &s : job->sigs)
        results.append(s.result);
    if (job->done)
        job->done(results);
}

} // namespace rd::mailauth
