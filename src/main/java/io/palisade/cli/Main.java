package io.palisade.cli;

import io.palisade.gateway.Gateway;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code palisade run | validate | demo | demo-upstream | keys}: the one entry point of the launcher script.
 */
@Command(name = "palisade", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Palisade API gateway.",
        subcommands = {RunCommand.class, ValidateCommand.class, DemoCommand.class, DemoUpstreamCommand.class,
                KeysCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        int code = new CommandLine(new Main()).execute(args);
        // After a served run the JVM is already shutting down (SIGTERM); System.exit would wait on its own hooks.
        if (!RunCommand.keepsRunning()) {
            System.exit(code);
        }
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"palisade " + Gateway.version() + " (java " + Runtime.version() + ")"};
        }
    }
}
