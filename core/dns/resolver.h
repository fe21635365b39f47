#pragma once
// rd::dns::Resolver: the asynchronous DNS interface that mail routing, SPF
// and the GUI's DNS check use. Implementations: CaresResolver (c-ares on the
// Qt event loop); tests may write fakes by implementing startLookup() and
// cancelLookup().
//
// Thread: a resolver lives in the thread that created it (the engine's); call
// it from there only. Callbacks run later in that thread, from the event loop,
// never from inside a lookup*() call and never from inside c-ares.
//
// Callback contract: exactly one call per request, unless
//  - cancel(id) was called first,
//  - the `context` object given to lookup*() was destroyed first, or
//  - the resolver was destroyed first (queries outstanding are dropped
//    silently: no callback, no crash).
// A callback may start new lookups and may cancel others. It must not delete
// the resolver directly (use deleteLater()).
// There is no blocking API on purpose.

#include "dns/dnstypes.h"

#include <QObject>
#include <QPointer>

#include <functional>
#include <memory>
#include <unordered_map>

namespace rd::dns {

using RequestId = quint64; // 0 is never a valid id
using AnswerCallback = std::function<void(const Answer &)>;
using AddressCallback = std::function<void(const AddressAnswer &)>;

class Resolver : public QObject {
    Q_OBJECT
public:
    explicit Resolver(QObject *parent = nullptr);
    ~Resolver() override;

    // Asks for `type` records of `name` (a trailing dot is optional; names
    // with non-ASCII characters are sent in their IDNA "xn--" form). An
    // invalid name is answered InvalidName (still asynchronously). `context`
    // may be null; if given, the callback is dropped once it is destroyed.
    RequestId lookup(const QString &name, RecordType type, QObject *context, AnswerCallback cb);
    RequestId lookup(const QString &name, RecordType type, AnswerCallback cb)
    {
        return lookup(name, type, nullptr, std::move(cb));
    }

    // MX of a mail domain; Answer::mx sorted by preference; isNullMx().
    RequestId lookupMx(const QString &domain, QObject *context, AnswerCallback cb)
    {
        return lookup(domain, RecordType::MX, context, std::move(cb));
    }
    RequestId lookupMx(const QString &domain, AnswerCallback cb)
    {
        return lookupMx(domain, nullptr, std::move(cb));
    }
    RequestId lookupTxt(const QString &name, QObject *context, AnswerCallback cb)
    {
        return lookup(name, RecordType::TXT, context, std::move(cb));
    }
    // PTR of an address (builds the in-addr.arpa / ip6.arpa name).
    RequestId lookupPtr(const QHostAddress &address, QObject *context, AnswerCallback cb);

    // A and AAAA of `host`, asked in parallel; one callback when both are done.
    // A host that is an IP literal is still asked for (callers handle literals).
    RequestId lookupAddresses(const QString &host, QObject *context, AddressCallback cb);
    RequestId lookupAddresses(const QString &host, AddressCallback cb)
    {
        return lookupAddresses(host, nullptr, std::move(cb));
    }

    // The request's callback will not be called. Unknown or finished ids are
    // ignored. The query itself may still complete (and fill the cache).
    void cancel(RequestId id);

protected:
    // Starts a query for an already validated ASCII name (no trailing dot).
    // The implementation must call finish(id, answer) exactly once, later
    // (never from inside startLookup), unless cancelLookup(id) comes first
    // or the resolver is destroyed.
    virtual void startLookup(RequestId id, const QString &name, RecordType type) = 0;
    // The answer for `id` is no longer wanted.
    virtual void cancelLookup(RequestId id) = 0;

    // Hands the answer to the request's callback if it is still wanted
    // (not cancelled, context alive). Call it from the event loop, never from
    // inside c-ares: the callback may start or cancel lookups.
    void finish(RequestId id, const Answer &answer);
    // Calls finish(id, answer) from the event loop later (dropped if the
    // resolver is destroyed first).
    void finishLater(RequestId id, Answer answer);

private:
    struct Pending {
        AnswerCallback cb;
        QPointer<QObject> context;
        bool hasContext = false;
    };
    struct AddressPair;

    RequestId m_nextId = 1;
    std::unordered_map<RequestId, Pending> m_pending;
    // lookupAddresses() ids -> the pair of inner lookups.
    std::unordered_map<RequestId, std::shared_ptr<AddressPair>> m_pairs;
};

} // namespace rd::dns
