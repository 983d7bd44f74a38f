package io.palisade.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What every command that talks to the admin API shares: where it is ({@code --admin}, else
 * {@code PALISADE_ADMIN}, else {@value EnvDefaults#DEFAULT_ADMIN}), the token ({@code --token-file}, else
 * {@code PALISADE_TOKEN_FILE}), and the exit codes: {@value #OK} on success, {@value #REFUSED} when the API refused
 * (a 4xx, its reasons on stderr), {@value #FAILED} for a usage error, an unreachable API or a 5xx.
 */
abstract class AdminCall implements Callable<Integer> {
    static final int OK = 0;
    static final int REFUSED = 1;
    static final int FAILED = 2;

    @Spec
    CommandSpec spec;

    @Option(names = "--admin", paramLabel = "URL",
            description = "The admin API (default: $PALISADE_ADMIN, else " + EnvDefaults.DEFAULT_ADMIN + ").")
    String admin;

    @Option(names = "--token-file", paramLabel = "PATH",
            description = "A file holding the admin token (default: $PALISADE_TOKEN_FILE; none: no token sent).")
    Path tokenFile;

    /** A command's work once the client is set up; returns the exit code. */
    abstract int run(AdminClient client, PrintWriter out, PrintWriter err) throws AdminClient.Unreachable;

    @Override
    public final Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            AdminClient client = new AdminClient(adminUri(), token());
            return run(client, out, err);
        } catch (AdminClient.Unreachable e) {
            err.println("palisade: " + e.getMessage());
            return FAILED;
        } catch (Failed e) {
            err.println("palisade: " + e.getMessage());
            return FAILED;
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** A local problem (a file that cannot be read) that ends the command with {@value #FAILED}. */
    static final class Failed extends RuntimeException {
        Failed(String message) {
            super(message, null, false, false);
        }
    }

    private URI adminUri() {
        URI uri;
        try {
            uri = URI.create(admin);
        } catch (IllegalArgumentException e) {
            uri = null;
        }
        if (uri == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
                || uri.getHost() == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--admin: " + admin
                    + " (expected: a URL like " + EnvDefaults.DEFAULT_ADMIN + ")");
        }
        return uri;
    }

    private Optional<String> token() {
        if (tokenFile == null) {
            return Optional.empty();
        }
        String token;
        try {
            token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new Failed("cannot read the token file " + tokenFile + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        }
        if (token.isEmpty()) {
            throw new Failed("the token file " + tokenFile + " is empty");
        }
        return Optional.of(token);
    }

    static String readFile(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new Failed("cannot read " + file + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        }
    }

    /**
     * Reports a reply that is not a success on stderr, with every reason it gives.
     *
     * @return {@value #REFUSED} for a 4xx, {@value #FAILED} for anything else
     */
    static int refused(AdminClient client, AdminClient.Reply reply, PrintWriter err) {
        JsonNode body = reply.body();
        boolean clientError = reply.status() >= 400 && reply.status() < 500;
        String code = body.path("error").asText("");
        String head = (clientError ? "refused" : "the admin API failed") + " (HTTP " + reply.status()
                + (code.isEmpty() ? "" : " " + code) + ")";
        JsonNode errors = body.path("errors");
        if (errors.isArray() && !errors.isEmpty()) {
            err.println("palisade: " + head + ":");
            errors.forEach(e -> err.println("  " + Views.text(e)));
        } else {
            String message = body.path("message").asText("");
            err.println("palisade: " + head + (message.isEmpty() ? "" : ": " + message));
        }
        if (reply.status() == 401 && !client.hasToken()) {
            err.println("palisade: this admin API wants a token: pass --token-file or set "
                    + EnvDefaults.TOKEN_FILE_ENV);
        }
        return clientError ? REFUSED : FAILED;
    }
}
