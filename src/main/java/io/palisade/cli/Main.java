package io.palisade.cli;

import io.palisade.gateway.Gateway;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code palisade run | validate | demo | demo-upstream | keys | config | audit | ingest | slo}: the one entry point of the launcher
 * script. Every command answers {@code --help}; a missing or unknown command or option is a usage error (exit 2).
 */
@Command(name = "palisade", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
        versionProvider = Main.Version.class,
        description = "Palisade API gateway.",
        subcommands = {RunCommand.class, ValidateCommand.class, DemoCommand.class, DemoUpstreamCommand.class,
                KeysCommand.class, ConfigCommand.class, AuditCommand.class, IngestCommand.class, SloCommand.class,
                IncidentCommand.class, MaintenanceCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line {@link #main} executes; tests run it in-process with their own output streams. */
    static CommandLine commandLine() {
        return commandLine(System::getenv);
    }

    /** As {@link #commandLine()}, with the environment the admin commands take their defaults from. */
    static CommandLine commandLine(Function<String, String> env) {
        CommandLine cl = new CommandLine(new Main());
        cl.setDefaultValueProvider(new EnvDefaults(env));
        return cl;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"palisade " + Gateway.version() + " (java " + Runtime.version() + ")"};
        }
    }
}
