#include "smtp/serversession.h"

#include "smtp/parser.h"
#include "smtp/replies.h"
#include "smtp/sasl.h"

#include <QSet>

#include <cstring>
#include <optional>

namespace rd::smtp {

namespace {

// Greeted: banner sent, no EHLO/HELO yet. Helo: no transaction. Mail: MAIL
// accepted, no recipient yet. Rcpt: at least one recipient. Data: between 354
// and the final dot. WaitCommit: EndMessage emitted, waiting for
// commitFinished(); input is held. TlsWait: 220 to STARTTLS sent, waiting for
// tlsStarted(); input is discarded (RFC 3207 / CVE-2011-0411). AuthInput:
// 334 sent, the next line is a SASL response. AuthVerify: waiting for
// authFinished(); input is held. PolicyWait: CheckSender/CheckRecipient
// emitted, waiting for policyFinished(); input is held. Closed: Close emitted,
// input ignored.
enum class State { Greeted, Helo, Mail, Rcpt, Data, Bdat, WaitCommit, TlsWait, AuthInput, AuthVerify, PolicyWait,
                   Closed };

enum class AuthMech { None, Plain, LoginUser, LoginPassword, Gssapi };

enum StateBits : unsigned {
    InGreeted = 1u << 0,
    InHelo = 1u << 1,
    InMail = 1u << 2,
    InRcpt = 1u << 3,
    InAny = InGreeted | InHelo | InMail | InRcpt,
};

unsigned stateBit(State s)
{
    switch (s) {
    case State::Greeted: return InGreeted;
    case State::Helo: return InHelo;
    case State::Mail: return InMail;
    case State::Rcpt: return InRcpt;
    default: return 0;
    }
}

// What a command may carry after its verb.
enum class Args {
    None,     // anything after the verb: the row's argError (501)
    Required, // nothing after the verb: the row's argError (501)
    Any,      // ignored or optional
};

bool isAsciiDigits(QByteArrayView s)
{
    if (s.isEmpty())
        return false;
    for (char c : s) {
        if (c < '0' || c > '9')
            return false;
    }
    return true;
}

} // namespace

struct ServerSession::Impl {
    using Proceed = void (Impl::*)(const Command &, Output &);
    struct Row {
        Verb verb;
        unsigned states;  // states in which the verb is valid; otherwise 503 5.5.1
        Args args;
        ReplyId argError; // reply when `args` is violated
        Proceed proceed;  // further checks (exact 4xx/5xx), then the transition
    };
    static const Row kTable[];

    SessionConfig config;
    QByteArray hostname;
    QSet<QByteArray> acceptedDomains; // ASCII lower case, trailing dots kept
    State state = State::Greeted;
    Envelope envelope;
    int errors = 0;
    int messagesAccepted = 0;
    int lastReplyCode = 0;

    QByteArray line;          // the partial line of the current phase (bounded)
    bool discardLine = false; // skipping the rest of an over-long line up to LF
    bool discardLastCr = false;

    // Data phase
    bool prevCrlf = true;     // the previous data line ended with CRLF
    bool messageOpen = false; // BeginMessage emitted, no EndMessage/AbortMessage yet
    qint64 dataSize = 0;
    std::optional<ReplyId> dataError; // first violation; content no longer forwarded
    QByteArray chunk;         // content collected during one feed()

    QByteArray held;          // input received while waiting for commitFinished()
    QByteArray currentCommand; // the command being answered (for Rejection records)

    // TLS and AUTH
    bool tlsActive = false;
    QString tlsProtocol;
    QString tlsCipher;
    QByteArray authUser;      // set after a successful AUTH
    bool authRestrictSenders = false;
    QStringList authOwnAddresses;
    bool authMayRelay = false;
    AuthMech authMech = AuthMech::None;

    // SMTPUTF8 and CHUNKING
    bool utf8Transaction = false; // MAIL carried SMTPUTF8
    bool bdatOpen = false;        // at least one BDAT chunk of this message was received
    bool bdatLast = false;        // the chunk being read is the LAST one
    qint64 bdatRemaining = 0;     // octets of the current chunk still to read
    std::optional<ReplyId> bdatError; // the chunk's reply once read (transaction failed)
    State bdatPrevState = State::Helo; // where a refused chunk returns to
    bool bdatCrPending = false;   // the last BDAT octet was CR: the next must be LF
    QByteArray loginUser;     // AUTH LOGIN: the user name until the password arrives

    // Policy checks: the MAIL or RCPT waiting for policyFinished()
    bool pendingIsMail = false;
    QByteArray pendingAddress;
    QList<Param> pendingParams;
    bool pendingUtf8 = false;

    explicit Impl(SessionConfig c) : config(std::move(c))
    {
        hostname = config.hostname.trimmed().toUtf8();
        if (hostname.isEmpty())
            hostname = "localhost";
        for (const QString &domain : std::as_const(config.acceptedDomains))
            acceptedDomains.insert(domain.trimmed().toLower().toUtf8());
        tlsActive = config.tlsActive;
    }

    // ---- replies and closing ----
    void reply(Output &out, ReplyId id, QByteArrayView extra = {}, const QByteArray &rule = {})
    {
        const qsizetype start = out.replies.size();
        appendReply(out.replies, id, extra);
        lastReplyCode = replySpec(id).code;
        if (lastReplyCode >= 400)
            out.rejections.push_back({lastReplyCode, out.replies.mid(start).trimmed(), currentCommand, rule});
        if (config.transcript)
            out.transcript.append("S: " + out.replies.mid(start).trimmed());
    }

    // A reply to a client error: counted; at maxErrors the session closes.
    void reject(Output &out, ReplyId id, QByteArrayView extra = {})
    {
        reply(out, id, extra);
        if (++errors >= config.limits.maxErrors) {
            reply(out, ReplyId::TooManyErrors);
            close(out);
        }
    }

    void close(Output &out)
    {
        if (messageOpen)
            out.actions.push_back({ActionKind::AbortMessage, {}});
        messageOpen = false;
        state = State::Closed;
        line.clear();
        chunk.clear();
        held.clear();
        out.actions.push_back({ActionKind::Close, {}});
    }

    void resetTransaction()
    {
        utf8Transaction = false;
        bdatOpen = false;
        envelope.mailFrom.clear();
        envelope.mailParams.clear();
        envelope.rcptTo.clear();
        envelope.rcptParams.clear();
    }

    // ---- input ----
    void consume(QByteArrayView in, Output &out)
    {
        while (!in.isEmpty()) {
            qsizetype used = 0;
            switch (state) {
            case State::Closed:
                return;
            case State::WaitCommit:
            case State::AuthVerify:
            case State::PolicyWait:
                held.append(in.data(), in.size());
                return;
            case State::TlsWait:
                return; // plaintext after STARTTLS is never interpreted
            case State::Data:
                used = consumeData(in, out);
                break;
            case State::Bdat:
                used = consumeBdat(in, out);
                break;
            default:
                used = consumeCommand(in, out);
                break;
            }
            in = in.sliced(used);
        }
    }

    // Consumes at most one command line; returns the bytes used.
    qsizetype consumeCommand(QByteArrayView in, Output &out)
    {
        // RFC 4954 4: AUTH lines and SASL responses may be 12288 octets; only
        // GSSAPI needs that (a Kerberos ticket), so only it raises the limit.
        const qsizetype maxLine = gssapiOffered() ? qMax<qsizetype>(config.limits.maxCommandLine, 12288)
                                                  : config.limits.maxCommandLine;
        const auto *lf = static_cast<const char *>(std::memchr(in.data(), '\n', size_t(in.size())));
        if (!lf) {
            if (!discardLine) {
                if (line.size() + in.size() + 1 > maxLine) {
                    discardLine = true; // reply when the LF arrives
                    line.clear();
                } else {
                    line.append(in.data(), in.size());
                }
            }
            return in.size();
        }
        const qsizetype len = lf - in.data();
        if (discardLine) {
            discardLine = false;
            reject(out, ReplyId::CommandLineTooLong);
            return len + 1;
        }
        QByteArrayView text = in.first(len);
        if (!line.isEmpty()) {
            line.append(in.data(), len);
            text = line;
        }
        if (text.size() + 1 > maxLine) {
            reject(out, ReplyId::CommandLineTooLong);
        } else {
            if (text.endsWith('\r'))
                text.chop(1); // CRLF; a bare LF is tolerated for commands
            if (state == State::AuthInput)
                processAuthResponse(text, out);
            else
                processCommand(text, out);
        }
        line.resize(0);
        return len + 1;
    }

    void processCommand(QByteArrayView text, Output &out)
    {
        currentCommand.clear();
        for (char c : text.first(std::min<qsizetype>(text.size(), 200))) {
            const auto u = static_cast<unsigned char>(c);
            currentCommand.append((u < 0x20 || u >= 0x7f) ? '?' : c);
        }
        if (currentCommand.size() >= 4 && currentCommand.left(4).toUpper() == "AUTH") {
            // Never log credentials: keep "AUTH <mechanism>" only.
            const qsizetype sp = currentCommand.indexOf(' ', 5);
            if (sp > 0)
                currentCommand = currentCommand.left(sp) + " [redacted]";
        }
        if (config.transcript)
            out.transcript.append("C: " + currentCommand);
        bool nonAscii = false;
        for (char c : text) {
            const auto u = static_cast<unsigned char>(c);
            if ((u < 0x20 && c != '\t') || u == 0x7f) {
                reject(out, ReplyId::CommandInvalidCharacters);
                return;
            }
            nonAscii = nonAscii || u >= 0x80;
        }
        // UTF-8 is allowed in commands only as well-formed UTF-8 (RFC 6531);
        // where it is not allowed the command's own parser refuses it.
        if (nonAscii && !isValidUtf8Text(text)) {
            reject(out, ReplyId::CommandInvalidCharacters);
            return;
        }
        const Command cmd = parseCommand(text);
        const Row *row = &kTable[0];
        while (row->verb != cmd.verb && row->verb != Verb::Unknown)
            ++row;
        if (!(row->states & stateBit(state))) {
            reject(out, ReplyId::BadSequence); // the one central 503
            return;
        }
        if ((row->args == Args::None && !cmd.arg.isEmpty())
            || (row->args == Args::Required && cmd.arg.isEmpty())) {
            reject(out, row->argError, verbName(cmd.verb));
            return;
        }
        (this->*row->proceed)(cmd, out);
    }

    // ---- commands: check, then proceed ----
    void onHelo(const Command &cmd, Output &out)
    {
        if (!isValidHeloName(cmd.arg)) {
            reject(out, ReplyId::HeloSyntax, verbName(cmd.verb));
            return;
        }
        abortOpenMessage(out);
        resetTransaction(); // RFC 5321 4.1.4
        envelope.helo = cmd.arg;
        envelope.esmtp = cmd.verb == Verb::Ehlo;
        state = State::Helo;
        if (!envelope.esmtp) {
            reply(out, ReplyId::HeloOk, hostname);
            return;
        }
        QList<QByteArray> extensions = {
            "PIPELINING",
            "SIZE " + QByteArray::number(config.limits.maxMessageSize),
            "8BITMIME",
            "ENHANCEDSTATUSCODES",
        };
        extensions << "SMTPUTF8" << "DSN" << "CHUNKING";
        if (config.tlsAvailable && !tlsActive)
            extensions << "STARTTLS";
        if (authOffered())
            extensions << (gssapiOffered() ? "AUTH GSSAPI PLAIN LOGIN" : "AUTH PLAIN LOGIN");
        const QByteArray ehlo = formatMultilineReply(ReplyId::EhloOk, hostname, extensions);
        out.replies += ehlo;
        lastReplyCode = replySpec(ReplyId::EhloOk).code;
        if (config.transcript) {
            for (const QByteArray &l : ehlo.split('\n')) {
                if (!l.trimmed().isEmpty())
                    out.transcript.append("S: " + l.trimmed());
            }
        }
    }

    void onMail(const Command &cmd, Output &out)
    {
        if (messagesAccepted >= config.limits.maxMessagesPerSession) {
            reply(out, ReplyId::TooManyMessages);
            close(out);
            return;
        }
        if (config.requireTls && !tlsActive) {
            reject(out, ReplyId::TlsRequired);
            return;
        }
        if (config.authRequired && authUser.isEmpty()) {
            reject(out, ReplyId::AuthRequired);
            return;
        }
        PathResult r = parseMailFrom(cmd.arg);
        if (!r.ok()) {
            reject(out, *r.error);
            return;
        }
        for (const Param &p : std::as_const(r.params)) {
            if (p.key == "SIZE") {
                if (!isAsciiDigits(p.value)) {
                    reject(out, ReplyId::BadSizeParam);
                    return;
                }
                QByteArrayView digits = p.value;
                while (digits.size() > 1 && digits.front() == '0')
                    digits = digits.sliced(1);
                if (digits.size() > 18 || digits.toLongLong() > config.limits.maxMessageSize) {
                    reject(out, ReplyId::MessageTooBig); // RFC 1870 6
                    return;
                }
            } else if (p.key == "SMTPUTF8") {
                if (!p.value.isEmpty()) {
                    reject(out, ReplyId::ParamSyntax);
                    return;
                }
            } else if (p.key == "RET") {
                const QByteArray v = p.value.toUpper();
                if (v != "FULL" && v != "HDRS") {
                    reject(out, ReplyId::BadDsnParameter);
                    return;
                }
            } else if (p.key == "ENVID") {
                if (p.value.isEmpty() || p.value.size() > 100 || !isValidXtext(p.value)) {
                    reject(out, ReplyId::BadDsnParameter);
                    return;
                }
            } else if (p.key == "AUTH") {
                // RFC 4954 5: accepted; we do not forward an authorization identity.
            } else if (p.key == "BODY") {
                const QByteArray body = p.value.toUpper();
                if (body != "7BIT" && body != "8BITMIME") {
                    reject(out, ReplyId::BadBodyParam);
                    return;
                }
            } else {
                reject(out, ReplyId::UnknownParameter);
                return;
            }
        }
        if (authRestrictSenders && !r.address.isEmpty()
            && !authOwnAddresses.contains(QString::fromUtf8(r.address), Qt::CaseInsensitive)) {
            reject(out, ReplyId::SenderNotOwned);
            return;
        }
        bool smtputf8 = false;
        for (const Param &p : std::as_const(r.params))
            smtputf8 = smtputf8 || p.key == "SMTPUTF8";
        if (r.utf8 && !smtputf8) {
            reject(out, ReplyId::NonAsciiNeedsSmtpUtf8);
            return;
        }
        if (config.policyChecks) {
            waitForPolicy(true, std::move(r.address), std::move(r.params), smtputf8, out);
            return;
        }
        acceptMail(std::move(r.address), std::move(r.params), smtputf8, out);
    }

    void acceptMail(QByteArray address, QList<Param> params, bool smtputf8, Output &out)
    {
        utf8Transaction = smtputf8;
        bdatOpen = false;
        envelope.mailFrom = std::move(address);
        envelope.mailParams = std::move(params);
        state = State::Mail;
        reply(out, ReplyId::MailOk);
    }

    void acceptRcpt(QByteArray address, QList<Param> params, Output &out)
    {
        envelope.rcptTo.append(std::move(address));
        envelope.rcptParams.append(std::move(params));
        state = State::Rcpt;
        reply(out, ReplyId::RcptOk);
    }

    // Hands a MAIL or RCPT that passed the protocol checks to the host's policy.
    void waitForPolicy(bool mail, QByteArray address, QList<Param> params, bool utf8, Output &out)
    {
        pendingIsMail = mail;
        pendingAddress = std::move(address);
        pendingParams = std::move(params);
        pendingUtf8 = utf8;
        policyReturnState = state;
        state = State::PolicyWait;
        out.actions.push_back({mail ? ActionKind::CheckSender : ActionKind::CheckRecipient, pendingAddress});
    }
    State policyReturnState = State::Helo; // where a refused MAIL/RCPT leaves the session

    // Relay policy: nullopt when `address` may be accepted.
    std::optional<ReplyId> relayCheck(QByteArrayView address) const
    {
        const QByteArray domain = domainOf(address);
        if (domain.isEmpty())
            return std::nullopt; // <postmaster>
        const bool accepted = !domain.startsWith('[') && acceptedDomains.contains(domain);
        if (accepted) {
            // Sender-specified routing to a domain of ours (Postfix allow_untrusted_routing=no).
            const QByteArrayView local = localPartOf(address);
            if (local.contains('%') || local.contains('!')
                || (local.startsWith('"') && local.contains('@')))
                return ReplyId::RoutingDenied;
            return std::nullopt;
        }
        if (config.relayAllowed || (!authUser.isEmpty() && authMayRelay))
            return std::nullopt;
        return ReplyId::RelayDenied;
    }

    void onRcpt(const Command &cmd, Output &out)
    {
        if (envelope.rcptTo.size() >= config.limits.maxRecipients) {
            reply(out, ReplyId::TooManyRecipients); // 4xx: not counted as an error
            return;
        }
        PathResult r = parseRcptTo(cmd.arg);
        if (!r.ok()) {
            reject(out, *r.error);
            return;
        }
        if (r.utf8 && !utf8Transaction) {
            reject(out, ReplyId::NonAsciiNeedsSmtpUtf8);
            return;
        }
        if (bdatOpen) {
            reject(out, ReplyId::BadSequence); // recipients are fixed once BDAT began
            return;
        }
        for (const Param &p : std::as_const(r.params)) {
            if (p.key == "NOTIFY") {
                // NEVER alone, or a list of SUCCESS, FAILURE, DELAY (RFC 3461 4.1).
                const QList<QByteArray> items = p.value.toUpper().split(',');
                bool ok = !p.value.isEmpty();
                for (const QByteArray &i : items)
                    ok = ok && (i == "SUCCESS" || i == "FAILURE" || i == "DELAY" || (i == "NEVER" && items.size() == 1));
                if (!ok) {
                    reject(out, ReplyId::BadDsnParameter);
                    return;
                }
            } else if (p.key == "ORCPT") {
                // addr-type ";" xtext (RFC 3461 4.2); UTF-8 forms allowed with SMTPUTF8.
                const qsizetype semi = p.value.indexOf(';');
                if (semi <= 0 || p.value.size() > 500
                    || (!isValidXtext(p.value.mid(semi + 1)) && !(utf8Transaction && isValidUtf8Text(p.value)))) {
                    reject(out, ReplyId::BadDsnParameter);
                    return;
                }
            } else {
                reject(out, ReplyId::UnknownParameter);
                return;
            }
        }
        if (const auto denial = relayCheck(r.address)) {
            reject(out, *denial);
            return;
        }
        if (config.policyChecks) {
            waitForPolicy(false, std::move(r.address), std::move(r.params), false, out);
            return;
        }
        acceptRcpt(std::move(r.address), std::move(r.params), out);
    }

    void onData(const Command &, Output &out)
    {
        if (bdatOpen) {
            reject(out, ReplyId::BadSequence); // RFC 3030 3: no DATA after BDAT
            return;
        }
        if (envelope.rcptTo.isEmpty()) {
            reject(out, ReplyId::NoValidRecipients);
            return;
        }
        state = State::Data;
        prevCrlf = true; // the 354 counts as the CRLF before the first line
        messageOpen = true;
        dataSize = 0;
        dataError.reset();
        discardLine = false;
        out.actions.push_back({ActionKind::BeginMessage, {}});
        reply(out, ReplyId::DataStart);
        currentCommand.clear(); // data-phase replies answer no command
    }

    // A message opened by BDAT and abandoned (RSET, EHLO, MAIL-less reset).
    void abortOpenMessage(Output &out)
    {
        if (messageOpen)
            out.actions.push_back({ActionKind::AbortMessage, {}});
        messageOpen = false;
        chunk.clear();
        dataError.reset();
    }

    void onRset(const Command &, Output &out)
    {
        abortOpenMessage(out);
        resetTransaction();
        state = envelope.helo.isEmpty() ? State::Greeted : State::Helo;
        reply(out, ReplyId::RsetOk);
    }

    void onNoop(const Command &, Output &out) { reply(out, ReplyId::NoopOk); }
    void onVrfy(const Command &, Output &out) { reply(out, ReplyId::VrfyCannotVerify); }
    void onHelp(const Command &, Output &out) { reply(out, ReplyId::Help); }
    void onExpn(const Command &, Output &out) { reject(out, ReplyId::ExpnDisabled); }
    void onNotImplemented(const Command &, Output &out) { reject(out, ReplyId::CommandNotImplemented); }
    void onUnknown(const Command &, Output &out) { reject(out, ReplyId::CommandUnrecognized); }

    // ---- BDAT (RFC 3030) ----
    void onBdat(const Command &cmd, Output &out)
    {
        const QList<QByteArray> parts = cmd.arg.split(' ');
        const bool last = parts.size() == 2 && parts[1].toUpper() == "LAST";
        if (parts.isEmpty() || parts.size() > 2 || (parts.size() == 2 && !last) || !isAsciiDigits(parts[0])
            || parts[0].size() > 12) {
            // The chunk size is unknown: the stream cannot be resynchronised.
            reject(out, ReplyId::SyntaxError, "BDAT");
            if (state != State::Closed) { // reject() may have closed at the error limit
                reply(out, ReplyId::TooManyErrors);
                close(out);
            }
            return;
        }
        bdatRemaining = parts[0].toLongLong();
        bdatLast = last;
        bdatError.reset();
        bdatPrevState = state;
        if (state == State::Greeted || state == State::Helo)
            bdatError = ReplyId::BadSequence; // no MAIL: the octets are read and dropped
        else if (envelope.rcptTo.isEmpty())
            bdatError = ReplyId::NoValidRecipients;
        if (!bdatError && !bdatOpen) {
            bdatCrPending = false;
            bdatOpen = true;
            messageOpen = true;
            dataSize = 0;
            dataError.reset();
            out.actions.push_back({ActionKind::BeginMessage, {}});
        }
        state = State::Bdat;
        if (bdatRemaining == 0)
            endOfChunk(out);
    }

    qsizetype consumeBdat(QByteArrayView in, Output &out)
    {
        const qsizetype n = qsizetype(std::min<qint64>(bdatRemaining, in.size()));
        if (!bdatError && !dataError) {
            if (dataSize + n > config.limits.maxMessageSize || hasBareLineEnding(in.first(n))) {
                // Too big, or a bare CR/LF: BDAT content is relayed with DATA
                // later, so the same smuggling policy applies (RFC 5321 2.3.8).
                dataError = dataSize + n > config.limits.maxMessageSize ? ReplyId::MessageTooBig
                                                                        : ReplyId::BareLineEnding;
                chunk.clear();
                if (messageOpen)
                    out.actions.push_back({ActionKind::AbortMessage, {}});
                messageOpen = false;
            } else {
                chunk.append(in.data(), n);
            }
        }
        dataSize += n;
        bdatRemaining -= n;
        if (bdatRemaining == 0)
            endOfChunk(out);
        else
            flushChunk(out);
        return n;
    }

    // Scans BDAT content for a CR not followed by LF or an LF not preceded by
    // CR, across chunk boundaries.
    bool hasBareLineEnding(QByteArrayView data)
    {
        for (char c : data) {
            if (bdatCrPending) {
                bdatCrPending = false;
                if (c != '\n')
                    return true;
                continue;
            }
            if (c == '\r')
                bdatCrPending = true;
            else if (c == '\n')
                return true;
        }
        return false;
    }

    void endOfChunk(Output &out)
    {
        if (bdatLast && bdatCrPending && !bdatError && !dataError) {
            dataError = ReplyId::BareLineEnding; // the message ends in a bare CR
            chunk.clear();
            if (messageOpen)
                out.actions.push_back({ActionKind::AbortMessage, {}});
            messageOpen = false;
        }
        if (bdatError) {
            const ReplyId e = *bdatError;
            bdatError.reset();
            state = bdatPrevState;
            reject(out, e);
            return;
        }
        if (dataError) {
            // The message failed (size): answer each chunk, reset at the end.
            const ReplyId e = *dataError;
            if (bdatLast) {
                dataError.reset();
                resetTransaction();
                bdatOpen = false;
                state = State::Helo;
            } else {
                state = State::Rcpt;
            }
            reject(out, e);
            return;
        }
        flushChunk(out);
        if (!bdatLast) {
            state = State::Rcpt;
            reply(out, ReplyId::ChunkReceived, QByteArray::number(dataSize));
            return;
        }
        bdatOpen = false;
        messageOpen = false;
        state = State::WaitCommit;
        if (config.transcript)
            out.transcript.append("C: <message content, " + QByteArray::number(dataSize) + " octets>");
        out.actions.push_back({ActionKind::EndMessage, {}});
    }

    // ---- STARTTLS (RFC 3207) ----
    void onStartTls(const Command &cmd, Output &out)
    {
        if (!cmd.arg.isEmpty()) {
            reject(out, ReplyId::SyntaxError, "STARTTLS");
            return;
        }
        if (tlsActive) {
            reject(out, ReplyId::BadSequence);
            return;
        }
        if (!config.tlsAvailable) {
            reply(out, ReplyId::TlsNotAvailable);
            return;
        }
        reply(out, ReplyId::TlsReady);
        // Anything the client pipelined after STARTTLS is dropped: the rest of
        // this input is discarded by consume() in TlsWait (CVE-2011-0411).
        line.clear();
        held.clear();
        state = State::TlsWait;
        out.actions.push_back({ActionKind::StartTls, {}});
    }

    // ---- AUTH (RFC 4954) ----
    bool authOffered() const
    {
        return config.authAvailable && (tlsActive || config.plaintextAuthAllowed);
    }
    bool gssapiOffered() const { return config.gssapiAvailable && config.authAvailable && tlsActive; }

    void onAuth(const Command &cmd, Output &out)
    {
        if (!config.authAvailable) {
            reject(out, ReplyId::CommandNotImplemented);
            return;
        }
        if (!authUser.isEmpty()) {
            reject(out, ReplyId::BadSequence); // RFC 4954 4: once per session
            return;
        }
        if (!authOffered()) {
            reject(out, ReplyId::AuthEncryptionRequired);
            return;
        }
        const qsizetype sp = cmd.arg.indexOf(' ');
        const QByteArray mech = (sp < 0 ? cmd.arg : cmd.arg.left(sp)).toUpper();
        const QByteArray initial = sp < 0 ? QByteArray() : cmd.arg.mid(sp + 1).trimmed();
        if (mech == "PLAIN") {
            authMech = AuthMech::Plain;
            if (initial.isEmpty()) {
                state = State::AuthInput;
                reply(out, ReplyId::AuthChallenge, "");
                return;
            }
            authResponse(initial, out);
        } else if (mech == "GSSAPI" && gssapiOffered()) {
            authMech = AuthMech::Gssapi;
            out.actions.push_back({ActionKind::GssapiBegin, {}});
            if (initial.isEmpty()) {
                state = State::AuthInput;
                reply(out, ReplyId::AuthChallenge, "");
                return;
            }
            authResponse(initial, out);
        } else if (mech == "LOGIN") {
            authMech = AuthMech::LoginUser;
            if (initial.isEmpty()) {
                state = State::AuthInput;
                reply(out, ReplyId::AuthChallenge, "VXNlcm5hbWU6"); // "Username:"
                return;
            }
            authResponse(initial, out);
        } else {
            reject(out, ReplyId::AuthUnknownMechanism);
        }
    }

    void processAuthResponse(QByteArrayView text, Output &out)
    {
        currentCommand = "AUTH [response]";
        if (config.transcript)
            out.transcript.append("C: [AUTH response redacted]");
        authResponse(text, out);
    }

    // One SASL response (initial or on its own line).
    void authResponse(QByteArrayView text, Output &out)
    {
        state = State::Helo;
        if (isSaslCancel(text)) {
            authMech = AuthMech::None;
            reject(out, ReplyId::AuthCancelled);
            return;
        }
        // A GSSAPI client answers a token-less challenge with an empty line.
        const std::optional<QByteArray> decoded =
            (authMech == AuthMech::Gssapi && text.isEmpty()) ? std::optional<QByteArray>(QByteArray())
                                                              : decodeSaslBase64(text);
        if (!decoded) {
            authMech = AuthMech::None;
            reject(out, ReplyId::AuthBadResponse);
            return;
        }
        switch (authMech) {
        case AuthMech::Plain: {
            const auto creds = parsePlain(*decoded);
            if (!creds) {
                authMech = AuthMech::None;
                reject(out, ReplyId::AuthBadResponse);
                return;
            }
            requestVerify(creds->user, creds->password, out);
            return;
        }
        case AuthMech::LoginUser:
            if (decoded->isEmpty() || decoded->size() > 255 || decoded->contains('\0')) {
                authMech = AuthMech::None;
                reject(out, ReplyId::AuthBadResponse);
                return;
            }
            loginUser = *decoded;
            authMech = AuthMech::LoginPassword;
            state = State::AuthInput;
            reply(out, ReplyId::AuthChallenge, "UGFzc3dvcmQ6"); // "Password:"
            return;
        case AuthMech::LoginPassword:
            if (decoded->isEmpty() || decoded->size() > 255) {
                authMech = AuthMech::None;
                loginUser.clear();
                reject(out, ReplyId::AuthBadResponse);
                return;
            }
            requestVerify(QByteArray(loginUser), *decoded, out); // keeps the user for authFinished()
            return;
        case AuthMech::Gssapi:
            // The exchange stays open (authMech) until authFinished().
            state = State::AuthVerify;
            out.actions.push_back({ActionKind::GssapiStep, *decoded});
            return;
        case AuthMech::None:
            reject(out, ReplyId::BadSequence);
            return;
        }
    }

    void requestVerify(const QByteArray &user, const QByteArray &password, Output &out)
    {
        authMech = AuthMech::None;
        loginUser = user;
        state = State::AuthVerify;
        out.actions.push_back({ActionKind::Authenticate, user + '\0' + password});
    }

    // Balancers' headers are read before the session starts (net/listener.cpp);
    // one that reaches the session came from someone else: refused, closed.
    void onProxy(const Command &, Output &out)
    {
        reject(out, ReplyId::ProxyRefused);
        close(out);
    }

    void onQuit(const Command &, Output &out)
    {
        reply(out, ReplyId::Bye);
        close(out);
    }

    // ---- data phase ----
    // Consumes data lines until the end of the input or the final dot;
    // returns the bytes used. Content goes out as one MessageData per call.
    qsizetype consumeData(QByteArrayView in, Output &out)
    {
        const char *p = in.data();
        const qsizetype n = in.size();
        qsizetype pos = 0;
        bool ended = false;
        if (!dataError)
            chunk.reserve(n);
        while (pos < n) {
            const auto *lf = static_cast<const char *>(std::memchr(p + pos, '\n', size_t(n - pos)));
            if (discardLine) { // inside an over-long line: skip to its LF
                if (!lf) {
                    discardLastCr = p[n - 1] == '\r';
                    pos = n;
                    break;
                }
                const qsizetype e = lf - p;
                prevCrlf = e > pos ? p[e - 1] == '\r' : discardLastCr;
                discardLine = false;
                pos = e + 1;
                continue;
            }
            if (!lf) { // a partial line: keep it, unless it is already too long
                line.append(p + pos, n - pos);
                const qsizetype minLength = line.size() + 1 - (line.front() == '.' ? 1 : 0);
                if (minLength > config.limits.maxTextLine) {
                    discardLastCr = line.back() == '\r';
                    discardLine = true;
                    line.clear();
                    dataViolation(ReplyId::DataLineTooLong, out);
                }
                pos = n;
                break;
            }
            const qsizetype e = lf - p;
            QByteArrayView text = in.sliced(pos, e + 1 - pos);
            if (!line.isEmpty()) {
                line.append(text.data(), text.size());
                text = line;
            }
            pos = e + 1;
            ended = dataLine(text, out);
            line.resize(0);
            if (ended)
                break;
        }
        if (ended)
            endOfData(out);
        else
            flushChunk(out);
        return pos;
    }

    // One complete line including its LF. True for the final "." line.
    bool dataLine(QByteArrayView text, Output &out)
    {
        const qsizetype n = text.size();
        const bool crlf = n >= 2 && text[n - 2] == '\r';
        if (prevCrlf && crlf && n == 3 && text[0] == '.')
            return true; // CRLF "." CRLF, and nothing else, ends the data
        if (!dataError) {
            const qsizetype bodyLength = n - (crlf ? 2 : 1);
            if (!crlf || std::memchr(text.data(), '\r', size_t(bodyLength))) {
                dataViolation(ReplyId::BareLineEnding, out);
            } else {
                const qsizetype skip = text[0] == '.' ? 1 : 0; // RFC 5321 4.5.2
                const qsizetype length = n - skip;
                if (length > config.limits.maxTextLine) {
                    dataViolation(ReplyId::DataLineTooLong, out);
                } else if ((dataSize += length) > config.limits.maxMessageSize) {
                    dataViolation(ReplyId::MessageTooBig, out);
                } else {
                    chunk.append(text.data() + skip, length);
                }
            }
        }
        prevCrlf = crlf;
        return false;
    }

    // Stops forwarding content; the reply waits for the final dot.
    void dataViolation(ReplyId id, Output &out)
    {
        if (dataError)
            return;
        dataError = id;
        chunk.clear();
        if (messageOpen) {
            out.actions.push_back({ActionKind::AbortMessage, {}});
            messageOpen = false;
        }
    }

    void flushChunk(Output &out)
    {
        if (chunk.isEmpty())
            return;
        out.actions.push_back({ActionKind::MessageData, std::move(chunk)});
        chunk = QByteArray();
    }

    void endOfData(Output &out)
    {
        discardLine = false;
        if (dataError) {
            const ReplyId error = *dataError;
            dataError.reset();
            resetTransaction();
            state = State::Helo;
            reject(out, error);
            return;
        }
        flushChunk(out);
        messageOpen = false;
        state = State::WaitCommit;
        if (config.transcript)
            out.transcript.append("C: <message content, " + QByteArray::number(dataSize) + " octets>");
        out.actions.push_back({ActionKind::EndMessage, {}});
    }
};

// The transition table: which command is valid in which state, what it
// may carry, and who proceeds. No matching state gives 503 5.5.1.
//
//   command          Greeted Helo Mail Rcpt   args      proceed -> next state
//   EHLO, HELO          x     x    x    x     required  Helo (transaction reset)
//   MAIL                      x               required  Mail (421 + close past maxMessagesPerSession)
//   RCPT                           x    x     required  Rcpt (554 relay, 452 limit)
//   DATA                           x    x     none      Data after 354 (554 without recipients)
//   RSET                x     x    x    x     none      Greeted or Helo
//   NOOP VRFY HELP      x     x    x    x     any       (unchanged)
//   QUIT                x     x    x    x     any       Closed
//   STARTTLS            x     x               none      TlsWait -> Greeted (454 without a certificate)
//   AUTH                      x               required  AuthInput/AuthVerify -> Helo (538 without TLS)
//   BDAT                x     x    x    x     required  Bdat: the chunk is always read; 503/554 without
//                                                       MAIL/RCPT; LAST -> WaitCommit like DATA's dot
//   EXPN, unknown: 502/500 in every state
// Data and WaitCommit take no commands; Closed ignores input.
const ServerSession::Impl::Row ServerSession::Impl::kTable[] = {
    {Verb::Ehlo, InAny, Args::Required, ReplyId::HeloSyntax, &Impl::onHelo},
    {Verb::Helo, InAny, Args::Required, ReplyId::HeloSyntax, &Impl::onHelo},
    {Verb::Mail, InHelo, Args::Required, ReplyId::MailSyntax, &Impl::onMail},
    {Verb::Rcpt, InMail | InRcpt, Args::Required, ReplyId::RcptSyntax, &Impl::onRcpt},
    {Verb::Data, InMail | InRcpt, Args::None, ReplyId::SyntaxError, &Impl::onData},
    {Verb::Rset, InAny, Args::None, ReplyId::SyntaxError, &Impl::onRset},
    {Verb::Noop, InAny, Args::Any, ReplyId::SyntaxError, &Impl::onNoop},
    {Verb::Quit, InAny, Args::Any, ReplyId::SyntaxError, &Impl::onQuit},
    {Verb::Vrfy, InAny, Args::Required, ReplyId::SyntaxError, &Impl::onVrfy},
    {Verb::Expn, InAny, Args::Any, ReplyId::SyntaxError, &Impl::onExpn},
    {Verb::Help, InAny, Args::Any, ReplyId::SyntaxError, &Impl::onHelp},
    {Verb::StartTls, InGreeted | InHelo, Args::Any, ReplyId::SyntaxError, &Impl::onStartTls},
    {Verb::Auth, InHelo, Args::Required, ReplyId::SyntaxError, &Impl::onAuth},
    {Verb::Bdat, InAny, Args::Required, ReplyId::SyntaxError, &Impl::onBdat},
    {Verb::Proxy, InAny, Args::Any, ReplyId::SyntaxError, &Impl::onProxy},
    {Verb::Unknown, InAny, Args::Any, ReplyId::SyntaxError, &Impl::onUnknown}, // keep last
};

// ---- public API ----

ServerSession::ServerSession(SessionConfig config)
    : d(std::make_unique<Impl>(std::move(config)))
{
}

ServerSession::~ServerSession() = default;
ServerSession::ServerSession(ServerSession &&) noexcept = default;
ServerSession &ServerSession::operator=(ServerSession &&) noexcept = default;

void ServerSession::start(Output &out)
{
    if (d->state == State::Closed)
        return;
    d->reply(out, ReplyId::Greeting, d->hostname);
}

void ServerSession::feed(QByteArrayView bytes, Output &out)
{
    if (d->state == State::Closed)
        return;
    d->consume(bytes, out);
}

void ServerSession::commitFinished(const CommitResult &result, Output &out)
{
    if (d->state != State::WaitCommit)
        return; // e.g. closed by timeout()/shutdown() meanwhile
    if (result.ok) {
        ++d->messagesAccepted;
        d->reply(out, ReplyId::MessageQueued, result.queueId.toUtf8());
    } else if (result.policy.reply) {
        d->currentCommand.clear();
        d->reply(out, *result.policy.reply, result.policy.text, result.policy.rule);
    } else {
        d->reply(out, result.temporary ? ReplyId::QueueTemporaryFailure : ReplyId::QueuePermanentFailure);
    }
    d->resetTransaction();
    d->state = State::Helo;
    if (!d->held.isEmpty()) {
        QByteArray pending;
        pending.swap(d->held);
        d->consume(pending, out);
    }
}

void ServerSession::timeout(Output &out)
{
    if (d->state == State::Closed)
        return;
    d->currentCommand.clear();
    d->reply(out, ReplyId::Timeout, d->hostname);
    d->close(out);
}

void ServerSession::shutdown(Output &out)
{
    if (d->state == State::Closed)
        return;
    d->currentCommand.clear();
    d->reply(out, ReplyId::ShuttingDown);
    d->close(out);
}

void ServerSession::tlsStarted(const QString &protocol, const QString &cipher, Output &out)
{
    Q_UNUSED(out);
    if (d->state != State::TlsWait)
        return;
    // RFC 3207 4.2: discard all knowledge obtained from the client before TLS.
    d->tlsActive = true;
    d->tlsProtocol = protocol;
    d->tlsCipher = cipher;
    d->resetTransaction();
    d->envelope.helo.clear();
    d->envelope.esmtp = false;
    d->authUser.clear();
    d->authMayRelay = false;
    d->authRestrictSenders = false;
    d->authOwnAddresses.clear();
    d->line.clear();
    d->held.clear();
    d->state = State::Greeted;
}

void ServerSession::authFinished(const AuthOutcome &outcome, Output &out)
{
    if (d->state != State::AuthVerify)
        return;
    d->state = State::Helo;
    d->authMech = AuthMech::None;
    const QByteArray user = outcome.user.isEmpty() ? d->loginUser : outcome.user;
    d->loginUser.clear();
    switch (outcome.kind) {
    case AuthOutcome::Success:
        d->authUser = user;
        d->authMayRelay = outcome.mayRelay;
        d->authRestrictSenders = outcome.restrictSenders;
        d->authOwnAddresses = outcome.ownAddresses;
        d->reply(out, ReplyId::AuthSucceeded);
        break;
    case AuthOutcome::Failure:
        d->reject(out, ReplyId::AuthFailed);
        break;
    case AuthOutcome::Temporary:
        d->reply(out, ReplyId::AuthTemporaryFailure);
        break;
    case AuthOutcome::Disconnect:
        d->reply(out, ReplyId::AuthTooManyFailures);
        d->close(out);
        return;
    }
    if (d->state != State::Closed && !d->held.isEmpty()) {
        QByteArray pending;
        pending.swap(d->held);
        d->consume(pending, out);
    }
}

void ServerSession::policyFinished(const PolicyVerdict &verdict, Output &out)
{
    if (d->state != State::PolicyWait)
        return;
    d->state = d->policyReturnState;
    if (verdict.accepted()) {
        if (d->pendingIsMail)
            d->acceptMail(std::move(d->pendingAddress), std::move(d->pendingParams), d->pendingUtf8, out);
        else
            d->acceptRcpt(std::move(d->pendingAddress), std::move(d->pendingParams), out);
    } else if (replySpec(*verdict.reply).code >= 500) {
        d->reply(out, *verdict.reply, verdict.text, verdict.rule);
        if (++d->errors >= d->config.limits.maxErrors) {
            d->reply(out, ReplyId::TooManyErrors);
            d->close(out);
            return;
        }
    } else {
        d->reply(out, *verdict.reply, verdict.text, verdict.rule);
        if (replySpec(*verdict.reply).code == 421) {
            d->close(out);
            return;
        }
    }
    d->pendingAddress.clear();
    d->pendingParams.clear();
    if (d->state != State::Closed && !d->held.isEmpty()) {
        QByteArray pending;
        pending.swap(d->held);
        d->consume(pending, out);
    }
}

void ServerSession::sessionTimeLimit(Output &out)
{
    if (d->state == State::Closed)
        return;
    d->currentCommand.clear();
    d->reply(out, ReplyId::SessionTimeLimit);
    d->close(out);
}

void ServerSession::saslChallenge(const QByteArray &challenge, Output &out)
{
    if (d->state != State::AuthVerify || d->authMech != AuthMech::Gssapi)
        return;
    d->state = State::AuthInput;
    d->reply(out, ReplyId::AuthChallenge, challenge.toBase64());
    if (!d->held.isEmpty()) {
        QByteArray pending;
        pending.swap(d->held);
        d->consume(pending, out);
    }
}

bool ServerSession::waitingForAuth() const { return d->state == State::AuthVerify; }
bool ServerSession::waitingForTls() const { return d->state == State::TlsWait; }
bool ServerSession::waitingForPolicy() const { return d->state == State::PolicyWait; }
bool ServerSession::tlsActive() const { return d->tlsActive; }
QString ServerSession::tlsProtocol() const { return d->tlsProtocol; }
QString ServerSession::tlsCipher() const { return d->tlsCipher; }
QByteArray ServerSession::authenticatedUser() const { return d->authUser; }

bool ServerSession::hasRelayRight() const
{
    return d->config.relayAllowed || (!d->authUser.isEmpty() && d->authMayRelay);
}

bool ServerSession::waitingForCommit() const { return d->state == State::WaitCommit; }
bool ServerSession::closed() const { return d->state == State::Closed; }
const Envelope &ServerSession::envelope() const { return d->envelope; }
const SessionConfig &ServerSession::config() const { return d->config; }
int ServerSession::messagesAccepted() const { return d->messagesAccepted; }
int ServerSession::lastReplyCode() const { return d->lastReplyCode; }

} // namespace rd::smtp
