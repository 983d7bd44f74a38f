package io.palisade.server;

import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.Optional;

/**
 * The socket transport: native epoll where the platform has it (fewer copies and syscalls), NIO elsewhere. One choice
 * for the whole process, so upstream channels can share the event loop of the downstream channel they serve.
 */
public enum Transport {
    IO_URING, EPOLL, NIO;

    static final String ACCEPT_MULTISHOT = "io.netty.iouring.acceptMultiShotEnabled";

    /**
     * The fastest transport this machine has: io_uring, then epoll, then NIO. {@code -Dpalisade.transport=epoll} or
     * {@code nio} picks a slower one (for a kernel or sandbox where io_uring misbehaves); a choice the machine cannot
     * make falls back down the same order.
     */
    public static Transport detect() {
        // Before io_uring's classes read it. A multishot accept that fails (EMFILE at the open file limit) is armed
        // again by Netty whatever the socket's autoRead says, so a listener at the limit would spin on the failure
        // instead of pausing (AcceptBackoff); one accept per submission costs little next to a connection's work.
        // An operator's own -D setting stands.
        System.getProperties().putIfAbsent(ACCEPT_MULTISHOT, "false");
        String wanted = System.getProperty("palisade.transport", "").toLowerCase(java.util.Locale.ROOT);
        if (wanted.equals("nio")) {
            return NIO;
        }
        if (!wanted.equals("epoll") && IoUring.isAvailable()) {
            return IO_URING;
        }
        return Epoll.isAvailable() ? EPOLL : NIO;
    }

    public EventLoopGroup newGroup(int threads, String name) {
        IoHandlerFactory factory = switch (this) {
            case IO_URING -> IoUringIoHandler.newFactory();
            case EPOLL -> EpollIoHandler.newFactory();
            case NIO -> NioIoHandler.newFactory();
        };
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), factory);
    }

    public Class<? extends ServerSocketChannel> serverChannel() {
        return switch (this) {
            case IO_URING -> IoUringServerSocketChannel.class;
            case EPOLL -> EpollServerSocketChannel.class;
            case NIO -> NioServerSocketChannel.class;
        };
    }

    /** For the non-blocking DNS resolver of upstream host names. */
    public Class<? extends DatagramChannel> datagramChannel() {
        return switch (this) {
            case IO_URING -> IoUringDatagramChannel.class;
            case EPOLL -> EpollDatagramChannel.class;
            case NIO -> NioDatagramChannel.class;
        };
    }

    /**
     * {@code SO_REUSEPORT} for server sockets, where the transport can set it: several sockets bound to one port, each
     * with its own accept queue that the kernel fills by a hash of the connection. With one such socket per event loop,
     * a connection is accepted and served on the same thread, with no hand-off between threads.
     */
    public Optional<ChannelOption<Boolean>> reusePort() {
        return switch (this) {
            case IO_URING -> Optional.of(IoUringChannelOption.SO_REUSEPORT);
            case EPOLL -> Optional.of(EpollChannelOption.SO_REUSEPORT);
            case NIO -> Optional.empty();
        };
    }

    public Class<? extends SocketChannel> clientChannel() {
        return switch (this) {
            case IO_URING -> IoUringSocketChannel.class;
            case EPOLL -> EpollSocketChannel.class;
            case NIO -> NioSocketChannel.class;
        };
    }
}
