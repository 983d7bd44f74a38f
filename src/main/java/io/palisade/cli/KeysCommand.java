package io.palisade.cli;

import io.palisade.auth.ApiKeys;
import io.palisade.auth.AuthSettings;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code palisade keys new [CONSUMER]}: a fresh API key for a consumer, and the hash that goes into the config. */
@Command(name = "keys", description = "API key tools.", subcommands = KeysCommand.New.class)
final class KeysCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand: new");
    }

    @Command(name = "new", description = {"Print a new API key (give it to the consumer) and its SHA-256 (put it in"
            + " the config). The key itself is never stored.",
        "With CONSUMER, also print the consumers: entry to paste into the config."})
    static final class New implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(arity = "0..1", paramLabel = "CONSUMER",
                description = "The consumer id the key is for (letters, digits, '_', '.', '-', '@').")
        String consumer;

        @Override
        public Integer call() {
            if (consumer != null && !AuthSettings.isConsumerId(consumer)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "CONSUMER: " + consumer
                        + " (expected: a consumer id of letters, digits, '_', '.', '-', '@', at most 64, starting"
                        + " with a letter or digit)");
            }
            ApiKeys.GeneratedKey k = ApiKeys.generate();
            PrintWriter out = spec.commandLine().getOut();
            out.println("key:    " + k.key());
            out.println("sha256: " + k.sha256Hex());
            if (consumer == null) {
                out.println();
                out.println("Put the hash under consumers.NAME.api_keys (palisade keys new NAME prints the entry).");
            } else {
                out.println();
                out.println("# The key is for " + consumer + " and is shown only here. Paste this into the config, or"
                        + " add the item to its api_keys:");
                out.println("consumers:");
                out.println("  " + consumer + ":");
                out.println("    api_keys: [ { sha256: \"" + k.sha256Hex() + "\" } ]");
            }
            out.flush();
            return 0;
        }
    }
}
