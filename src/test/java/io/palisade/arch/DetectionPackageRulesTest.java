package io.palisade.arch;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackages;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Detection's shape: the SLO engine knows outcomes, config, metrics, the store and time, and nothing of the alerts
 * built on it; the alert engine knows the SLOs, outcomes, metrics and the admin API's interface, and nothing of the
 * data path. The gateway wires both.
 */
class DetectionPackageRulesTest {
    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.palisade");
    }

    @Test
    void slo_importsOnlyItsLeaves() {
        noClasses().that().resideInAPackage("io.palisade.slo")
                .should().dependOnClassesThat(resideInAPackage("io.palisade..").and(resideOutsideOfPackages(
                        "io.palisade.slo", "io.palisade.outcome", "io.palisade.error", "io.palisade.config",
                        "io.palisade.metrics", "io.palisade.store", "io.palisade.time")))
                .because("alerts import SLOs, never the reverse; the data path is the gateway's business")
                .check(main);
    }

    @Test
    void alert_importsSlosAndLeaves_notTheDataPath() {
        noClasses().that().resideInAPackage("io.palisade.alert")
                .should().dependOnClassesThat(resideInAPackage("io.palisade..").and(resideOutsideOfPackages(
                        "io.palisade.alert", "io.palisade.slo", "io.palisade.outcome", "io.palisade.error",
                        "io.palisade.config", "io.palisade.metrics", "io.palisade.time", "io.palisade.admin")))
                .because("the gateway feeds the probe alerts through alert.Signals")
                .check(main);
    }
}
