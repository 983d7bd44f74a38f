package io.palisade.tls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A JDK TLS client for tests: trusts one CA, sends the SNI name it is given (connecting to 127.0.0.1 whatever the
 * name), optionally presents a client certificate, and speaks HTTP/1.1 keep-alive requests on one connection.
 */
public final class TlsClient implements AutoCloseable {
    private final SSLSocket socket;
    private final InputStream in;
    private final OutputStream out;

    /** A response: status, headers (lower-case names), body. */
    public record Response(int status, java.util.Map<String, String> headers, String body) {}

    private TlsClient(SSLSocket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    public static SSLContext context(X509Certificate trusted, TestPki.Issued clientCert) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", trusted);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyManagerFactory kmf = null;
            if (clientCert != null) {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                keys.setKeyEntry("client", clientCert.key(), "pw".toCharArray(),
                        new java.security.cert.Certificate[] {clientCert.cert()});
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, "pw".toCharArray());
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Connects and completes the handshake; {@code sni} null sends none, {@code protocols} null: the defaults. */
    public static TlsClient connect(int port, SSLContext ctx, String sni, String... protocols) throws IOException {
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port);
        s.setSoTimeout(10_000);
        SSLParameters p = s.getSSLParameters();
        if (sni != null) {
            p.setServerNames(List.of(new SNIHostName(sni)));
        } else {
            p.setServerNames(List.of());
        }
        if (protocols.length > 0) {
            p.setProtocols(protocols);
        }
        p.setApplicationProtocols(new String[] {"http/1.1"});
        s.setSSLParameters(p);
        s.startHandshake();
        return new TlsClient(s);
    }

    public X509Certificate serverCertificate() throws IOException {
        return (X509Certificate) socket.getSession().getPeerCertificates()[0];
    }

    public String protocol() {
        return socket.getSession().getProtocol();
    }

    public SSLSocket socket() {
        return socket;
    }

    public Response get(String path) throws IOException {
        return get(path, "");
    }

    public Response get(String path, String extraHeaders) throws IOException {
        out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extraHeaders + "\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return read();
    }

    private Response read() throws IOException {
        String statusLine = line();
        if (statusLine == null) {
            throw new IOException("connection closed before a response");
        }
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();
        String l;
        while ((l = line()) != null && !l.isEmpty()) {
            int c = l.indexOf(':');
            headers.put(l.substring(0, c).trim().toLowerCase(Locale.ROOT), l.substring(c + 1).trim());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = in.readNBytes(length);
        return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                String s = b.toString(StandardCharsets.US_ASCII);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** A plain socket, for clients that misbehave below TLS. */
    public static Socket raw(int port) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(10_000);
        return s;
    }
}
