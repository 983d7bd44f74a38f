package io.palisade.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * An HTTP/2 client on a plain socket that writes exactly the frames a test asks for, well-formed or not, and reads
 * what comes back frame by frame: for conformance and attack tests, where a real client would refuse to misbehave.
 * Prior knowledge only (no TLS, no Upgrade). Server SETTINGS are acknowledged as they are read.
 */
public final class RawH2 implements AutoCloseable {
    public static final int DATA = 0, HEADERS = 1, RST_STREAM = 3, SETTINGS = 4, PING = 6, GOAWAY = 7,
            WINDOW_UPDATE = 8, CONTINUATION = 9;
    public static final int END_STREAM = 0x1, END_HEADERS = 0x4, ACK = 0x1;

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final DefaultHttp2HeadersEncoder encoder = new DefaultHttp2HeadersEncoder();
    private final DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false, 1 << 20);
    private int nextStream = 1;

    /** A frame as read: its type, flags, stream and payload. */
    public record Frame(int type, int flags, int stream, byte[] payload) {
        /** The error code of a GOAWAY or RST_STREAM. */
        public long errorCode() {
            int at = type == GOAWAY ? 4 : 0;
            ByteBuf b = Unpooled.wrappedBuffer(payload);
            return b.getUnsignedInt(at);
        }
    }

    /** A stream's answer: its status (0 when it was reset), body, and the RST_STREAM code (-1 when not reset). */
    public record Answer(int status, Http2Headers headers, String body, Http2Headers trailers, long resetCode) {}

    public RawH2(int port) throws IOException {
        this(port, true);
    }

    /** @param handshake whether to send the preface and an empty SETTINGS frame now */
    public RawH2(int port, boolean handshake) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
        if (handshake) {
            out.write(prefaceBytes());
            frame(SETTINGS, 0, 0, new byte[0]);
        }
    }

    public static byte[] prefaceBytes() {
        return "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    }

    public Socket socket() {
        return socket;
    }

    public int newStreamId() {
        int id = nextStream;
        nextStream += 2;
        return id;
    }

    public static Http2Headers get(String path) {
        return request("GET", path);
    }

    public static Http2Headers request(String method, String path) {
        return new DefaultHttp2Headers(false).method(method).path(path).scheme("http").authority("gw.test");
    }

    // ---- writing

    public RawH2 raw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    public RawH2 frame(int type, int flags, int stream, byte[] payload) throws IOException {
        byte[] f = new byte[9 + payload.length];
        f[0] = (byte) (payload.length >>> 16);
        f[1] = (byte) (payload.length >>> 8);
        f[2] = (byte) payload.length;
        f[3] = (byte) type;
        f[4] = (byte) flags;
        f[5] = (byte) (stream >>> 24);
        f[6] = (byte) (stream >>> 16);
        f[7] = (byte) (stream >>> 8);
        f[8] = (byte) stream;
        System.arraycopy(payload, 0, f, 9, payload.length);
        out.write(f);
        out.flush();
        return this;
    }

    /** The HPACK encoding of {@code headers} with this connection's encoder (its dynamic table changes). */
    public byte[] encode(int stream, Http2Headers headers) {
        ByteBuf b = Unpooled.buffer();
        try {
            encoder.encodeHeaders(stream, headers, b);
            return ByteBufUtil.getBytes(b);
        } catch (Http2Exception e) {
            throw new IllegalStateException(e);
        } finally {
            b.release();
        }
    }

    public RawH2 headers(int stream, Http2Headers headers, boolean endStream) throws IOException {
        return frame(HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), stream, encode(stream, headers));
    }

    public RawH2 data(int stream, byte[] bytes, boolean endStream) throws IOException {
        return frame(DATA, endStream ? END_STREAM : 0, stream, bytes);
    }

    public RawH2 rst(int stream, int code) throws IOException {
        return frame(RST_STREAM, 0, stream, int32(code));
    }

    public RawH2 ping() throws IOException {
        return frame(PING, 0, 0, new byte[8]);
    }

    public RawH2 windowUpdate(int stream, int increment) throws IOException {
        return frame(WINDOW_UPDATE, 0, stream, int32(increment));
    }

    /** A SETTINGS frame with (id, value) pairs. */
    public RawH2 settings(int... idValue) throws IOException {
        byte[] p = new byte[idValue.length / 2 * 6];
        for (int i = 0; i < idValue.length; i += 2) {
            int at = i / 2 * 6;
            p[at] = (byte) (idValue[i] >>> 8);
            p[at + 1] = (byte) idValue[i];
            System.arraycopy(int32(idValue[i + 1]), 0, p, at + 2, 4);
        }
        return frame(SETTINGS, 0, 0, p);
    }

    public static byte[] int32(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    // ---- reading

    /** The next frame, or null when the server closed the connection (or reset it). */
    public Frame read() throws IOException {
        byte[] head = new byte[9];
        try {
            in.readFully(head);
        } catch (EOFException | SocketException e) {
            return null;
        }
        int length = ((head[0] & 0xff) << 16) | ((head[1] & 0xff) << 8) | (head[2] & 0xff);
        int stream = ((head[5] & 0x7f) << 24) | ((head[6] & 0xff) << 16) | ((head[7] & 0xff) << 8) | (head[8] & 0xff);
        byte[] payload = new byte[length];
        try {
            in.readFully(payload);
        } catch (EOFException | SocketException e) {
            return null;
        }
        Frame f = new Frame(head[3] & 0xff, head[4] & 0xff, stream, payload);
        if (f.type == SETTINGS && (f.flags & ACK) == 0) {
            try {
                frame(SETTINGS, ACK, 0, new byte[0]);
            } catch (IOException closing) {
                // the server is closing: what it sent is still to be read
            }
        }
        return f;
    }

    /** Reads until a GOAWAY (returned) or the end of the connection (null), decoding header blocks on the way. */
    public Frame awaitGoAway() throws IOException {
        Frame f;
        while ((f = read()) != null) {
            decodeIfHeaders(f);
            if (f.type == GOAWAY) {
                return f;
            }
        }
        return null;
    }

    /** Whether the server closed the connection: reads (and drops) frames until the end, within the socket timeout. */
    public boolean closedByServer() throws IOException {
        try {
            while (read() != null) {
                // drain
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    /** A stream's answer so far. */
    private static final class Partial {
        Http2Headers head;
        Http2Headers trailers;
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        Answer done;

        void finish(long resetCode) {
            int status = head == null ? 0 : Integer.parseInt(head.status().toString());
            done = new Answer(status, head, body.toString(StandardCharsets.UTF_8), trailers, resetCode);
        }
    }

    private final java.util.Map<Integer, Partial> streams = new java.util.HashMap<>();
    private ByteArrayOutputStream block;
    private int blockStream;
    private boolean blockEndsStream;

    /**
     * Reads frames until {@code stream} ends (END_STREAM or RST_STREAM); what arrives for other streams meanwhile is
     * kept for their own call.
     */
    public Answer answer(int stream) throws IOException {
        Frame f;
        while (true) {
            Partial p = streams.get(stream);
            if (p != null && p.done != null) {
                streams.remove(stream);
                return p.done;
            }
            if ((f = read()) == null) {
                throw new EOFException("connection closed while waiting for stream " + stream);
            }
            if (f.type == GOAWAY) {
                throw new IOException("GOAWAY " + f.errorCode() + " while waiting for stream " + stream);
            }
            if (f.stream == 0) {
                continue;
            }
            Partial q = streams.computeIfAbsent(f.stream, k -> new Partial());
            if (f.type == HEADERS || f.type == CONTINUATION) {
                if (f.type == HEADERS) {
                    block = new ByteArrayOutputStream();
                    blockStream = f.stream;
                    blockEndsStream = (f.flags & END_STREAM) != 0;
                }
                block.write(headerFragment(f));
                if ((f.flags & END_HEADERS) == 0) {
                    continue;
                }
                Http2Headers h = decode(blockStream, block.toByteArray());
                Partial b = streams.computeIfAbsent(blockStream, k -> new Partial());
                if (b.head == null || b.head.status().charAt(0) == '1') {
                    b.head = h;
                } else {
                    b.trailers = h;
                }
                if (blockEndsStream) {
                    b.finish(-1);
                }
            } else if (f.type == RST_STREAM) {
                q.finish(f.errorCode());
            } else if (f.type == DATA) {
                q.body.write(f.payload, 0, f.payload.length);
                if (f.payload.length > 0) {
                    try {
                        windowUpdate(0, f.payload.length);
                        windowUpdate(f.stream, f.payload.length);
                    } catch (IOException closing) {
                        // the server closes after this stream (a drain): what it sent is still to be read
                    }
                }
                if ((f.flags & END_STREAM) != 0) {
                    q.finish(-1);
                }
            }
        }
    }

    private byte[] headerFragment(Frame f) {
        if (f.type == HEADERS) {
            int from = 0;
            int pad = 0;
            if ((f.flags & 0x8) != 0) {
                pad = f.payload[0] & 0xff;
                from = 1;
            }
            if ((f.flags & 0x20) != 0) {
                from += 5;
            }
            byte[] b = new byte[f.payload.length - from - pad];
            System.arraycopy(f.payload, from, b, 0, b.length);
            return b;
        }
        return f.payload;
    }

    private void decodeIfHeaders(Frame f) {
        if (f.type == HEADERS && (f.flags & END_HEADERS) != 0) {
            decode(f.stream, headerFragment(f));
        }
    }

    private Http2Headers decode(int stream, byte[] block) {
        ByteBuf b = Unpooled.wrappedBuffer(block);
        try {
            return decoder.decodeHeaders(stream, b);
        } catch (Http2Exception e) {
            throw new IllegalStateException(e);
        } finally {
            b.release();
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
