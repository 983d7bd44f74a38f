package io.palisade.arch;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackages;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Webhooks hang off the incident book and the store; the gateway wires them, never the reverse. */
class NotifyPackageRulesTest {
    @Test
    void notify_importsOnlyConfigTimeStoreAndStatus() {
        noClasses().that().resideInAPackage("io.palisade.notify")
                .should().dependOnClassesThat(resideInAPackage("io.palisade..").and(resideOutsideOfPackages(
                        "io.palisade.notify", "io.palisade.config", "io.palisade.time", "io.palisade.store",
                        "io.palisade.status")))
                .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages("io.palisade"));
    }
}
