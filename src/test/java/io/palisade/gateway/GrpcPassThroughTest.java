package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

/**
 * A real gRPC call (grpc-java client and server) through the gateway: h2c from the client to an h2c listener, a
 * {@code protocol: h2c} cluster to the server. Trailers carry the status, so a status other than OK and a stream of
 * messages followed by its trailers both prove they pass through.
 */
class GrpcPassThroughTest {
    private Server server;
    private ManagedChannel channel;

    @AfterEach
    void tearDown() throws Exception {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static final class Service extends SimpleServiceGrpc.SimpleServiceImplBase {
        @Override
        public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> responses) {
            if (request.getRequestMessage().equals("missing")) {
                responses.onError(Status.NOT_FOUND.withDescription("no such thing").asRuntimeException());
                return;
            }
            responses.onNext(SimpleResponse.newBuilder().setResponseMessage("hello " + request.getRequestMessage())
                    .build());
            responses.onCompleted();
        }

        @Override
        public void serverStreamingRpc(SimpleRequest request, StreamObserver<SimpleResponse> responses) {
            for (int i = 0; i < 3; i++) {
                responses.onNext(SimpleResponse.newBuilder().setResponseMessage(request.getRequestMessage() + i)
                        .build());
            }
            responses.onError(Status.RESOURCE_EXHAUSTED.withDescription("that is all").asRuntimeException());
        }
    }

    private SimpleServiceGrpc.SimpleServiceBlockingStub start(Gateways gateways) throws Exception {
        server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()).addService(new Service())
                .build().start();
        GatewayFixture gw = gateways.start("""
                listeners:
                  http: { address: 127.0.0.1:0, http2: {} }
                clusters:
                  grpc: { endpoints: [ "127.0.0.1:%d" ], protocol: h2c }
                routes:
                  - match: { path_prefix: /grpc.testing.SimpleService/ }
                    cluster: grpc
                """.formatted(server.getPort()));
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", gw.port(), InsecureChannelCredentials.create())
                .build();
        return SimpleServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    @GatewayTest
    void aUnaryCall_passesThrough(Gateways gateways) throws Exception {
        SimpleServiceGrpc.SimpleServiceBlockingStub stub = start(gateways);
        for (int i = 0; i < 5; i++) {
            SimpleResponse r = stub.unaryRpc(SimpleRequest.newBuilder().setRequestMessage("palisade " + i).build());
            assertThat(r.getResponseMessage()).isEqualTo("hello palisade " + i);
        }
    }

    @GatewayTest
    void aStatusInTheTrailers_reachesTheClient(Gateways gateways) throws Exception {
        SimpleServiceGrpc.SimpleServiceBlockingStub stub = start(gateways);
        assertThatThrownBy(() -> stub.unaryRpc(SimpleRequest.newBuilder().setRequestMessage("missing").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription()).isEqualTo("no such thing");
                });
    }

    @GatewayTest
    void aStreamOfMessages_thenTrailers_passesThrough(Gateways gateways) throws Exception {
        SimpleServiceGrpc.SimpleServiceBlockingStub stub = start(gateways);
        Iterator<SimpleResponse> it = stub.serverStreamingRpc(SimpleRequest.newBuilder().setRequestMessage("m")
                .build());
        List<String> got = new ArrayList<>();
        assertThatThrownBy(() -> it.forEachRemaining(r -> got.add(r.getResponseMessage())))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                    assertThat(e.getStatus().getDescription()).isEqualTo("that is all");
                });
        assertThat(got).containsExactly("m0", "m1", "m2");
    }
}
