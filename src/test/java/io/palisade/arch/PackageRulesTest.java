package io.palisade.arch;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackages;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package shape docs/architecture.md draws, enforced: one package per capability with no cycle between any two
 * (each subpackage counts as its own), leaves that every capability may import and that import no capability (the
 * filter SPI and the outcome record may name the error taxonomy), the state store importing nothing of Palisade but
 * {@code time}, and a composition root that nothing but the command line depends on.
 */
class PackageRulesTest {
    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.palisade");
    }

    @Test
    void noCycleBetweenPackages_eachSubpackageItsOwn() {
        slices().matching("io.palisade.(**)").should().beFreeOfCycles().check(main);
    }

    @Test
    void leaves_importNoCapability() {
        for (String leaf : new String[] {"config", "error", "time", "metrics", "outcome", "filter"}) {
            String pkg = "io.palisade." + leaf;
            DescribedPredicate<JavaClass> elsewhereInPalisade =
                    resideInAPackage("io.palisade..").and(resideOutsideOfPackage(pkg))
                            .and(not(resideInAPackage("io.palisade.error")))
                            .as("a class of another Palisade package than error");
            noClasses().that().resideInAPackage(pkg)
                    .should().dependOnClassesThat(leaf.equals("filter") || leaf.equals("outcome") ? elsewhereInPalisade
                            : resideInAPackage("io.palisade..").and(resideOutsideOfPackage(pkg)))
                    .allowEmptyShould(true)
                    .because(leaf + " is a leaf that capabilities import")
                    .check(main);
        }
    }

    @Test
    void store_importsNoPalisadePackageButTime() {
        noClasses().that().resideInAPackage("io.palisade.store")
                .should().dependOnClassesThat(resideInAPackage("io.palisade..")
                        .and(resideOutsideOfPackages("io.palisade.store", "io.palisade.time")))
                .because("the state store is a leaf that the composition root opens and hands on")
                .check(main);
    }

    @Test
    void canaryJudge_importsOnlyTheOutcomeRecordAndItsTaxonomy() {
        noClasses().that().resideInAPackage("io.palisade.canary")
                .should().dependOnClassesThat(resideInAPackage("io.palisade..")
                        .and(resideOutsideOfPackages("io.palisade.canary", "io.palisade.outcome",
                                "io.palisade.error", "io.palisade.time")))
                .because("the judge reads outcomes and nothing of the data path")
                .check(main);
    }

    @Test
    void releases_knowTheGatewayOnlyThroughTheirDeploymentInterface() {
        noClasses().that().resideInAPackage("io.palisade.release")
                .should().dependOnClassesThat().resideInAnyPackage("io.palisade.proxy..", "io.palisade.server..",
                        "io.palisade.upstream..", "io.palisade.auth..", "io.palisade.ratelimit..")
                .because("a release swaps whole candidates through release.Deployment; the data path is the"
                        + " gateway's business")
                .check(main);
    }

    @Test
    void onlyTheCommandLine_dependsOnTheCompositionRoot() {
        noClasses().that().resideOutsideOfPackages("io.palisade.gateway..", "io.palisade.cli..")
                .should().dependOnClassesThat().resideInAPackage("io.palisade.gateway..")
                .check(main);
    }
}
