package io.palisade.server;

import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * An {@link EmbeddedChannel} whose client can stop reading: while {@link #stall stalled}, flushed writes stay in the
 * channel's outbound buffer with their promises pending, as they do behind a full socket.
 */
final class StallingChannel extends EmbeddedChannel {
    private boolean stalled;

    void stall() {
        stalled = true;
    }

    /** The client reads again: everything pending goes out and its promises complete. */
    void resume() {
        stalled = false;
        flush();
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) throws Exception {
        if (!stalled) {
            super.doWrite(in);
        }
    }
}
