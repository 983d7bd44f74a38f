package io.palisade.cli;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Defaults the admin commands take from the environment: {@code --admin} from {@code PALISADE_ADMIN} (else
 * {@value #DEFAULT_ADMIN}), {@code --token-file} from {@code PALISADE_TOKEN_FILE}, {@code --author} from
 * {@code $USER@hostname}. The environment is a function so tests can give their own.
 */
final class EnvDefaults implements CommandLine.IDefaultValueProvider {
    static final String DEFAULT_ADMIN = "http://127.0.0.1:9901";
    static final String ADMIN_ENV = "PALISADE_ADMIN";
    static final String TOKEN_FILE_ENV = "PALISADE_TOKEN_FILE";
    private final Function<String, String> env;

    EnvDefaults(Function<String, String> env) {
        this.env = env;
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option)) {
            return null;
        }
        return switch (option.longestName()) {
            case "--admin" -> nonBlank(env.apply(ADMIN_ENV), DEFAULT_ADMIN);
            case "--token-file" -> nonBlank(env.apply(TOKEN_FILE_ENV), null);
            case "--author" -> nonBlank(env.apply("USER"), "unknown") + "@" + hostname();
            default -> null;
        };
    }

    private static String nonBlank(String value, String otherwise) {
        return value == null || value.isBlank() ? otherwise : value;
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
