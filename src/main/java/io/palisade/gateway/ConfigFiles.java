package io.palisade.gateway;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The files a config names (token files now; certificates and keys as listeners gain TLS), which its hash covers. */
final class ConfigFiles {
    private ConfigFiles() {}

    static List<Path> named(GatewayConfig config) {
        List<Path> files = new ArrayList<>();
        config.admin().tokenFile().ifPresent(files::add);
        return files;
    }
}
