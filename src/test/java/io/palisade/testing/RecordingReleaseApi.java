package io.palisade.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.palisade.admin.AdminReply;
import io.palisade.admin.ApplyRequest;
import io.palisade.admin.Caller;
import io.palisade.admin.ReleaseApi;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * A {@link ReleaseApi} for tests of the admin port and the CLI: records every call with its arguments and answers
 * each method with a canned reply (200 {} unless set), completed on a thread of its own as the release manager's
 * JDBC thread would, or on the caller's thread for an {@code EmbeddedChannel}.
 */
public final class RecordingReleaseApi implements ReleaseApi, AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One call: the method's name and its arguments (a Caller last, where the method takes one). */
    public record Call(String method, List<Object> args) {
        public Object arg(int i) {
            return args.get(i);
        }
    }

    /** One {@link ReleaseApi#refused} call. */
    public record Refused(Caller caller, String method, String path, int status, String reason) {}

    private final ExecutorService thread;
    private final Executor completer;
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final List<Refused> refusals = new CopyOnWriteArrayList<>();
    private final Map<String, Supplier<CompletionStage<AdminReply>>> replies = new ConcurrentHashMap<>();

    private RecordingReleaseApi(boolean ownThread) {
        this.thread = ownThread ? Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "test-release-api");
            t.setDaemon(true);
            return t;
        }) : null;
        this.completer = ownThread ? thread : Runnable::run;
    }

    /** Replies complete on a thread of their own. */
    public static RecordingReleaseApi async() {
        return new RecordingReleaseApi(true);
    }

    /** Replies are complete when returned (for an {@code EmbeddedChannel}, whose loop is the test's thread). */
    public static RecordingReleaseApi sameThread() {
        return new RecordingReleaseApi(false);
    }

    /** {@code method} answers {@code status} with {@code json} from now on. */
    public RecordingReleaseApi reply(String method, int status, String json) {
        JsonNode body = parse(json);
        replies.put(method, () -> CompletableFuture.supplyAsync(() -> new AdminReply(status, body), completer));
        return this;
    }

    /** {@code method} answers with a stage that fails from now on. */
    public RecordingReleaseApi fail(String method) {
        replies.put(method, () -> CompletableFuture.supplyAsync(() -> {
            throw new IllegalStateException("database gone (test)");
        }, completer));
        return this;
    }

    /** {@code method} answers with {@code stage} from now on (one the test completes when it wants). */
    public RecordingReleaseApi reply(String method, CompletionStage<AdminReply> stage) {
        replies.put(method, () -> stage);
        return this;
    }

    public List<Call> calls() {
        return List.copyOf(calls);
    }

    public List<Call> calls(String method) {
        return calls.stream().filter(c -> c.method().equals(method)).toList();
    }

    public List<Refused> refusals() {
        return List.copyOf(refusals);
    }

    public static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private CompletionStage<AdminReply> answer(String method, Object... args) {
        calls.add(new Call(method, List.of(args)));
        return replies.getOrDefault(method, () -> CompletableFuture.supplyAsync(
                () -> new AdminReply(200, JSON.createObjectNode()), completer)).get();
    }

    @Override
    public CompletionStage<AdminReply> diff(String yaml) {
        return answer("diff", yaml);
    }

    @Override
    public CompletionStage<AdminReply> apply(ApplyRequest request, Caller caller) {
        return answer("apply", request, caller);
    }

    @Override
    public CompletionStage<AdminReply> versions() {
        return answer("versions");
    }

    @Override
    public CompletionStage<AdminReply> version(long number) {
        return answer("version", number);
    }

    @Override
    public CompletionStage<AdminReply> rollout() {
        return answer("rollout");
    }

    @Override
    public CompletionStage<AdminReply> rolloutControl(String action, Caller caller) {
        return answer("rolloutControl", action, caller);
    }

    @Override
    public CompletionStage<AdminReply> rollback(OptionalLong version, Caller caller) {
        return answer("rollback", version, caller);
    }

    @Override
    public CompletionStage<AdminReply> audit(Optional<Instant> since, int limit) {
        return answer("audit", since, limit);
    }

    @Override
    public void refused(Caller caller, String method, String path, int status, String reason) {
        refusals.add(new Refused(caller, method, path, status, reason));
    }

    @Override
    public void close() {
        if (thread != null) {
            thread.shutdownNow();
        }
    }
}
