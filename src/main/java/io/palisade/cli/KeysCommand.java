package io.palisade.cli;

import io.palisade.auth.ApiKeys;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code palisade keys new}: a fresh API key for a consumer, and the hash that goes into the config. */
@Command(name = "keys", description = "API key tools.", subcommands = KeysCommand.New.class)
final class KeysCommand implements Runnable {
    @Override
    public void run() {
        System.out.println("usage: palisade keys new");
    }

    @Command(name = "new", description = "Print a new API key (give it to the consumer) and its SHA-256 (put it in"
            + " the config: consumers.NAME.api_keys: [ { sha256: ... } ]). The key itself is never stored.")
    static final class New implements Callable<Integer> {
        @Override
        public Integer call() {
            ApiKeys.GeneratedKey k = ApiKeys.generate();
            System.out.println("key:    " + k.key());
            System.out.println("sha256: " + k.sha256Hex());
            return 0;
        }
    }
}
