package io.palisade.proxy;

import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;
import io.netty.channel.ConnectTimeoutException;
import io.palisade.error.ErrorKind;
import io.palisade.filter.QueryParams;
import io.palisade.upstream.Cluster;
import io.palisade.upstream.ClusterConfig;
import io.palisade.upstream.Endpoint;
import io.palisade.upstream.HashOn;
import io.palisade.upstream.Pick;
import io.palisade.upstream.Retries;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Dispatch of an {@link Exchange}'s attempts: picks the route's cluster (by weight when it has several) and an
 * endpoint of it (or down its failover chain), takes the cluster's request and connection slots, reuses a pooled
 * connection of the event loop or opens one, and after a failed attempt retries where {@link Retries} allows, on the
 * endpoint it picks. Also arms the exchange's deadline when the first attempt starts, and gives back what the
 * attempts held when the exchange ends.
 */
final class ExchangeDispatch {
    private ExchangeDispatch() {}

    static void dispatch(Exchange ex, Endpoint avoid) {
        if (ex.expectContinue) {
            ExchangeBody.sendContinue(ex);
        }
        Cluster primary = chosen(ex);
        if (primary == null) {
            ex.respondError(ErrorKind.NO_HEALTHY_UPSTREAM);
            return;
        }
        if (!ex.requestStarted) {
            ex.requestStarted = true;
            Headers.toUpstream(ex);
            startDeadline(ex);
        }
        String key = hashKey(ex, primary.config());
        Optional<Pick> choice = avoid == null ? primary.pick(key) : retryPick(ex, primary, key, avoid);
        if (choice.isEmpty()) {
            ex.respondError(ErrorKind.NO_HEALTHY_UPSTREAM);
            return;
        }
        Pick pick = choice.get();
        Cluster picked = pick.cluster();
        if (ex.cluster != picked) {
            releaseRequestPermit(ex);
            if (!picked.tryAcquireRequest()) {
                ex.respondError(ErrorKind.UPSTREAM_OVERLOADED);
                return;
            }
            ex.requestPermit = true;
            ex.cluster = picked;
        }
        ex.endpoint = pick.endpoint();
        ex.attempts++;
        UpstreamPool pool = ex.pool;
        UpstreamConnection idle = pool.pollIdle(ex.endpoint);
        if (idle != null) {
            attach(ex, idle);
            return;
        }
        Cluster cluster = ex.cluster;
        if (cluster.tryAcquireConnection()) {
            connect(ex);
            return;
        }
        // Every connection max_connections allows is open: wait for one if max_pending leaves room (0: no queue).
        if (!cluster.tryAcquirePending()) {
            ex.respondError(ErrorKind.UPSTREAM_OVERLOADED);
            return;
        }
        enqueue(ex);
    }

    /**
     * The route's cluster this request goes to: on a route with weighted clusters, picked by weight among those with
     * an endpoint available when first asked (by a filter, or by the first attempt), then kept. Null on a route
     * without clusters.
     */
    static Cluster chosen(Exchange ex) {
        RouteClusters clusters = ex.route.clusters();
        if (ex.slot < 0) {
            if (clusters.size() == 0) {
                return null;
            }
            ex.slot = clusters.choose(ThreadLocalRandom.current());
        }
        return clusters.cluster(ex.slot);
    }

    /**
     * Where a retry goes: within the request's cluster and its failover chain, as {@link Retries#next} decides, unless
     * those offer nothing but endpoints that already failed this request; then to another of the route's weighted
     * clusters with an endpoint available, by weight, which later retries start from.
     */
    private static Optional<Pick> retryPick(Exchange ex, Cluster primary, String key, Endpoint avoid) {
        Optional<Pick> choice = ex.retries.next(primary, key, avoid);
        RouteClusters clusters = ex.route.clusters();
        if (clusters.size() < 2 || (choice.isPresent() && !ex.retries.hasFailed(choice.get().endpoint()))) {
            return choice;
        }
        int other = clusters.chooseOther(ThreadLocalRandom.current(), ex.slot);
        if (other < 0) {
            return choice;
        }
        Cluster next = clusters.cluster(other);
        Optional<Pick> elsewhere = next.pick(hashKey(ex, next.config()));
        if (elsewhere.isEmpty()) {
            return choice;
        }
        ex.slot = other;
        return elsewhere;
    }

    /** Opens a connection to the exchange's endpoint with a {@code max_connections} slot already taken. */
    private static void connect(Exchange ex) {
        UpstreamPool pool = ex.pool;
        Cluster cluster = ex.cluster;
        UpstreamPool.PoolCounters.add(pool.counters().pending, 1);
        Endpoint target = ex.endpoint;
        Future<Channel> connect = pool.connect(cluster, target, cluster.config().timeouts());
        connect.addListener(f -> {
            UpstreamPool.PoolCounters.add(ex.pool.counters().pending, -1);
            Channel ch = f.isSuccess() ? (Channel) f.getNow() : null;
            if (ex.isDone() || ex.endpoint != target) {
                if (ch != null) {
                    ch.close();
                }
                return;
            }
            if (ch != null) {
                attach(ex, (UpstreamConnection) ch.pipeline().get("upstream"));
            } else {
                onConnectFailed(ex, f.cause());
            }
        });
    }

    /**
     * Queues for a connection: a connection of this loop to the exchange's endpoint released by its exchange
     * ({@link #takeConnection}), or a slot given back anywhere ({@link #onConnectionSlotFreed}), whichever comes
     * first; the request's deadline bounds the wait (503). Idle connections to the cluster on other loops, or to
     * other endpoints, are closed for it: they count against {@code max_connections} but serve no one.
     */
    private static void enqueue(Exchange ex) {
        ex.waitingForConnection = true;
        Cluster waitingOn = ex.cluster;
        ex.pool.enqueue(ex, waitingOn.name());
        ex.slotWake = new SlotWake(ex, waitingOn);
        waitForSlot(ex);
        if (ex.waitingForConnection) {
            ex.runtime.askForIdleConnection(waitingOn.name());
        }
    }

    /** Registers for the next slot given back, then tries once more: a slot given back just before counts too. */
    private static void waitForSlot(Exchange ex) {
        ex.cluster.onConnectionFreed(ex.slotWake);
        if (ex.cluster.tryAcquireConnection()) {
            leaveQueue(ex);
            connect(ex);
        }
    }

    /** Runs on the thread that gave a slot back; the exchange's loop decides. */
    private static final class SlotWake implements Runnable {
        private final Exchange ex;
        private final Cluster waitingOn;

        SlotWake(Exchange ex, Cluster waitingOn) {
            this.ex = ex;
            this.waitingOn = waitingOn;
        }

        @Override
        public void run() {
            try {
                ex.ctx.channel().eventLoop().execute(() -> onConnectionSlotFreed(ex, waitingOn, this));
            } catch (RejectedExecutionException e) {
                waitingOn.wakeConnectionWaiter(); // this loop is shutting down: the slot is another waiter's
            }
        }
    }

    private static void onConnectionSlotFreed(Exchange ex, Cluster waitingOn, Runnable wake) {
        if (!ex.waitingForConnection || wake != ex.slotWake) {
            // This wake-up was handed out after the request left the queue: it belongs to the next waiter.
            waitingOn.wakeConnectionWaiter();
            return;
        }
        waitForSlot(ex);
    }

    /** A connection of this loop, to the exchange's endpoint, that its last exchange released while it was queued. */
    static void takeConnection(Exchange ex, UpstreamConnection c) {
        leaveQueue(ex);
        attach(ex, c);
    }

    static void leaveQueue(Exchange ex) {
        ex.waitingForConnection = false;
        ex.cluster.cancelConnectionWait(ex.slotWake);
        ex.slotWake = null;
        ex.pool.dequeue(ex, ex.cluster.name());
        ex.cluster.releasePending();
    }

    private static void attach(Exchange ex, UpstreamConnection c) {
        if (ex.isDone()) {
            ex.pool.release(c);
            return;
        }
        ex.forwarding(c);
        c.startIdle(ex.route.idleTimeout());
        ex.upstreamStartNanos = System.nanoTime();
        ex.endpoint.onRequestStart();
        ExchangeStreaming.startRequest(ex, c);
    }

    private static void onConnectFailed(Exchange ex, Throwable cause) {
        upstreamFailed(ex, Endpoint.FailureKind.CONNECT_FAILED, cause instanceof ConnectTimeoutException
                ? "connect_timeout" : cause instanceof javax.net.ssl.SSLException ? "tls" : "connect");
        // Nothing was sent, so retrying is safe for any method.
        if (tryRetry(ex, true)) {
            return;
        }
        ex.respondError(ErrorKind.UPSTREAM_CONNECT_FAILED);
    }

    /** The attempt on the exchange's endpoint failed: tells the endpoint (passive ejection) and counts it. */
    static void upstreamFailed(Exchange ex, Endpoint.FailureKind kind, String label) {
        ex.upstreamFailureKind = label;
        ex.endpoint.onFailure(kind);
        ex.runtime.metrics().upstreamFailure(ex.cluster.name(), label);
    }

    /**
     * Makes the next attempt when {@link Retries} allows one after the attempt that just failed.
     *
     * @param nothingSent the attempt failed before anything was sent (its connect)
     * @return false when the exchange must fail with the attempt's error instead
     */
    static boolean tryRetry(Exchange ex, boolean nothingSent) {
        if (!Retries.resendable(nothingSent, ex.idempotent, ex.bodySent, ex.responseStarted)) {
            return false;
        }
        if (ex.retries == null) {
            Optional<Retries> granted = Retries.start(ex.cluster);
            if (granted.isEmpty()) {
                return false;
            }
            ex.retries = granted.get();
        }
        Endpoint failed = ex.endpoint;
        if (!ex.retries.take(failed)) {
            return false;
        }
        detachUpstream(ex, false);
        ex.dispatch(failed);
        return true;
    }

    /** Lets go of the upstream connection: back to the pool when {@code reusable}, else closed. */
    static void detachUpstream(Exchange ex, boolean reusable) {
        UpstreamConnection c = ex.upstream;
        if (c != null) {
            ex.upstream = null;
            c.exchange = null;
            ex.endpoint.onRequestEnd();
            if (reusable) {
                c.pool.release(c);
            } else {
                c.channel.close();
            }
        }
        ex.waitingDownstreamWritable = false;
        ex.waitingUpstreamWritable = false;
    }

    /** The exchange ended: its cluster request slot and its place in a retry budget go back. */
    static void release(Exchange ex) {
        releaseRequestPermit(ex);
        if (ex.retries != null) {
            ex.retries.release();
        }
    }

    private static void releaseRequestPermit(Exchange ex) {
        if (ex.requestPermit) {
            ex.requestPermit = false;
            ex.cluster.releaseRequest();
        }
    }

    private static void startDeadline(Exchange ex) {
        ex.deadlineNanos = System.nanoTime() + ex.route.clusters().requestTimeoutNanos(ex.slot);
        ex.owner.armDeadline(ex.deadlineNanos);
    }

    private static String hashKey(Exchange ex, ClusterConfig cfg) {
        Optional<HashOn> on = cfg.hashOn();
        if (on.isEmpty()) {
            return "";
        }
        HashOn h = on.get();
        String v = switch (h.source()) {
            case HEADER -> ex.request.headers().get(h.name());
            case CLIENT_IP -> ex.clientIp;
            case PATH -> ex.path;
            case QUERY -> QueryParams.first(ex.query, h.name()).orElse(null);
        };
        return v == null ? "" : v;
    }

}
