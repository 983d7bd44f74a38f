package io.palisade.tls;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509TrustManager;

/**
 * Sits right after the TLS handler until the handshake is over, then leaves the pipeline:
 *
 * <ul>
 *   <li>bounds the whole handshake, from the accept to the Finished message, by the listener's
 *       {@code header_read_timeout}: a client that trickles its ClientHello a byte a second is closed at the
 *       deadline (counted as {@code timeout});</li>
 *   <li>tells the {@link HandshakeListener} the negotiated version and protocol, or why it failed;</li>
 *   <li>keeps the client certificate on the channel ({@link TlsConnection}) when it chains to the client CAs;</li>
 *   <li>when ALPN chose {@code h2}, replaces the HTTP/1.1 handlers after it with the {@link Http2Branch}.</li>
 * </ul>
 */
final class TlsHandshakeHandler extends ChannelInboundHandlerAdapter {
    private final long timeoutNanos;
    private final HandshakeListener listener;
    private final TlsSettings settings;
    private final Optional<X509TrustManager> clientTrust;
    private final Optional<Http2Branch> h2;
    private ScheduledFuture<?> timer;
    private boolean done;
    /** The handshake failed: whatever exception follows is part of that failure. */
    private boolean failed;

    TlsHandshakeHandler(Duration timeout, HandshakeListener listener, TlsSettings settings,
                        Optional<X509TrustManager> clientTrust, Optional<Http2Branch> h2) {
        this.timeoutNanos = Math.max(1, timeout.toNanos());
        this.listener = listener;
        this.settings = settings;
        this.clientTrust = clientTrust;
        this.h2 = h2;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            arm(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        arm(ctx);
        ctx.fireChannelActive();
    }

    private void arm(ChannelHandlerContext ctx) {
        if (timer == null && !done) {
            timer = ctx.executor().schedule(() -> expire(ctx), timeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void expire(ChannelHandlerContext ctx) {
        if (!done) {
            done = true;
            failed = true;
            listener.failed("timeout");
            ctx.close();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent event && !done) {
            done = true;
            cancel();
            if (event.isSuccess()) {
                succeeded(ctx);
                if (!ctx.isRemoved()) {
                    ctx.pipeline().remove(this);
                }
            } else {
                // Stays until the close, to keep the failure's exception from reaching the HTTP handlers' logs.
                failed = true;
                listener.failed(reason(event.cause()));
                ctx.close();
            }
            // After the pipeline's new shape is in place, as Netty's ApplicationProtocolNegotiationHandler does: an
            // HTTP/2 branch's handlers see the event too.
            ctx.fireUserEventTriggered(evt);
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!done) {
            done = true;
            cancel();
            listener.failed("closed");
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!done || !ctx.channel().isActive() || failed) {
            // A failed handshake (plain HTTP on a TLS port, an alert, a refused certificate) is the client's: it is
            // counted when the handshake event comes, and logged by no one.
            ctx.close();
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void succeeded(ChannelHandlerContext ctx) {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        SSLSession session = ssl.engine().getSession();
        String chosen = ssl.applicationProtocol();
        boolean http2 = TlsSettings.H2.equals(chosen) && h2.isPresent();
        listener.succeeded(session.getProtocol(), http2 ? TlsSettings.H2 : TlsSettings.HTTP_1_1);
        verifiedPeer(session).ifPresent(cert -> ctx.channel().attr(TlsConnection.PEER).set(cert));
        if (http2) {
            ChannelPipeline p = ctx.pipeline();
            List<String> after = new ArrayList<>();
            boolean seen = false;
            for (String name : p.names()) {
                if (seen && p.get(name) != null) {
                    after.add(name);
                }
                seen |= p.context(name) == ctx;
            }
            for (String name : after) {
                ChannelHandler removed = p.remove(name);
                assert removed != null;
            }
            p.remove(this);
            h2.get().install(p);
        }
    }

    /** The client's leaf certificate when it chains to the client CAs; checked here for {@code optional}. */
    private Optional<X509Certificate> verifiedPeer(SSLSession session) {
        if (settings.clientAuth() == TlsSettings.ClientAuth.NONE || clientTrust.isEmpty()) {
            return Optional.empty();
        }
        Certificate[] peer;
        try {
            peer = session.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
        if (peer == null || peer.length == 0 || !(peer[0] instanceof X509Certificate)) {
            return Optional.empty();
        }
        X509Certificate[] chain = new X509Certificate[peer.length];
        for (int i = 0; i < peer.length; i++) {
            if (!(peer[i] instanceof X509Certificate x)) {
                return Optional.empty();
            }
            chain[i] = x;
        }
        if (settings.clientAuth() == TlsSettings.ClientAuth.OPTIONAL) {
            try {
                clientTrust.get().checkClientTrusted(chain, chain[0].getPublicKey().getAlgorithm());
            } catch (CertificateException | RuntimeException e) {
                return Optional.empty();
            }
        }
        return Optional.of(chain[0]);
    }

    /** A handshake failure as one of a few metric label values. */
    static String reason(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof NotSslRecordException) {
                return "not_tls";
            }
            if (t instanceof java.nio.channels.ClosedChannelException) {
                return "closed";
            }
        }
        String text = describe(cause).toLowerCase(Locale.ROOT);
        if (text.contains("protocol_version") || text.contains("unsupported_protocol")
                || text.contains("no appropriate protocol") || text.contains("protocol is disabled")
                || text.contains("wrong_version") || text.contains("unsupported protocol")) {
            return "protocol_version";
        }
        if (text.contains("no_shared_cipher") || text.contains("no cipher suites in common")
                || text.contains("handshake_failure") && text.contains("cipher")) {
            return "no_shared_cipher";
        }
        if (text.contains("peer_did_not_return_a_certificate") || text.contains("certificate_required")
                || text.contains("empty client certificate") || text.contains("empty server certificate")) {
            return "client_certificate";
        }
        if (text.contains("certificate") || text.contains("pkix")) {
            return "bad_certificate";
        }
        if (text.contains("closed") || text.contains("connection reset")) {
            return "closed";
        }
        return "other";
    }

    private static String describe(Throwable cause) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = cause; t != null && b.length() < 2000; t = t.getCause()) {
            b.append(t.getClass().getSimpleName()).append(' ').append(t.getMessage()).append(' ');
        }
        return b.toString();
    }
}
