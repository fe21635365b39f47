#include "dns/resolver.h"

#include <QThread>
#include <QUrl>

#include <optional>

namespace rd::dns {

struct Resolver::AddressPair {
    QString name;
    AddressCallback cb;
    QPointer<QObject> context;
    bool hasContext = false;
    RequestId a = 0;
    RequestId aaaa = 0;
    std::optional<Answer> answerA;
    std::optional<Answer> answerAaaa;
};

namespace {

// Trailing dot removed; non-ASCII names in their IDNA form. Empty if invalid.
QString normalizedName(const QString &name)
{
    QString n = name.trimmed();
    if (n.endsWith(QLatin1Char('.')))
        n.chop(1);
    bool ascii = true;
    for (QChar c : n) {
        if (c.unicode() >= 0x80) {
            ascii = false;
            break;
        }
    }
    if (!ascii)
        n = QString::fromLatin1(QUrl::toAce(n));
    return isValidQueryName(n) ? n : QString();
}

} // namespace

Resolver::Resolver(QObject *parent) : QObject(parent) {}

Resolver::~Resolver() = default;

RequestId Resolver::lookup(const QString &name, RecordType type, QObject *context,
                           AnswerCallback cb)
{
    Q_ASSERT_X(QThread::currentThread() == thread(), "Resolver::lookup", "wrong thread");
    const RequestId id = m_nextId++;
    Pending p;
    p.cb = std::move(cb);
    p.context = context;
    p.hasContext = context != nullptr;
    m_pending.emplace(id, std::move(p));

    const QString n = normalizedName(name);
    if (n.isEmpty()) {
        Answer a;
        a.name = name;
        a.type = type;
        a.status = Status::InvalidName;
        a.canonicalName = name;
        a.error = QStringLiteral("not a valid domain name");
        finishLater(id, std::move(a));
    } else {
        startLookup(id, n, type);
    }
    return id;
}

RequestId Resolver::lookupPtr(const QHostAddress &address, QObject *context, AnswerCallback cb)
{
    return lookup(reverseName(address), RecordType::PTR, context, std::move(cb));
}

RequestId Resolver::lookupAddresses(const QString &host, QObject *context, AddressCallback cb)
{
    const RequestId id = m_nextId++;
    auto pair = std::make_shared<AddressPair>();
    pair->name = host;
    pair->cb = std::move(cb);
    pair->context = context;
    pair->hasContext = context != nullptr;
    m_pairs.emplace(id, pair);

    const auto part = [this, id](bool isA) {
        return [this, id, isA](const Answer &answer) {
            auto it = m_pairs.find(id);
            if (it == m_pairs.end())
                return;
            std::shared_ptr<AddressPair> p = it->second;
            (isA ? p->answerA : p->answerAaaa) = answer;
            if (!p->answerA || !p->answerAaaa)
                return;
            m_pairs.erase(it);
            if (p->hasContext && !p->context)
                return;
            const QString name = p->answerA->name.isEmpty() ? p->name : p->answerA->name;
            p->cb(combineAddressAnswers(name, std::move(*p->answerA), std::move(*p->answerAaaa)));
        };
    };
    pair->a = lookup(host, RecordType::A, this, part(true));
    pair->aaaa = lookup(host, RecordType::AAAA, this, part(false));
    return id;
}

void Resolver::cancel(RequestId id)
{
    auto pit = m_pairs.find(id);
    if (pit != m_pairs.end()) {
        const std::shared_ptr<AddressPair> p = pit->second;
        m_pairs.erase(pit);
        cancel(p->a);
        cancel(p->aaaa);
        return;
    }
    if (m_pending.erase(id) > 0)
        cancelLookup(id);
}

void Resolver::finish(RequestId id, const Answer &answer)
{
    auto it = m_pending.find(id);
    if (it == m_pending.end())
        return;
    Pending p = std::move(it->second);
    m_pending.erase(it);
    if (p.hasContext && !p.context)
        return;
    if (p.cb)
        p.cb(answer);
}

void Resolver::finishLater(RequestId id, Answer answer)
{
    QMetaObject::invokeMethod(
        this, [this, id, answer = std::move(answer)] { finish(id, answer); },
        Qt::QueuedConnection);
}

} // namespace rd::dns
