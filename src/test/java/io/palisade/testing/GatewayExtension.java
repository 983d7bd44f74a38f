package io.palisade.testing;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;
import org.junit.platform.commons.support.AnnotationSupport;

/** Runs a {@link GatewayTest} method once per event-loop count, each run with its own {@link Gateways}. */
public final class GatewayExtension implements TestTemplateInvocationContextProvider {
    @Override
    public boolean supportsTestTemplate(ExtensionContext context) {
        return AnnotationSupport.isAnnotated(context.getTestMethod(), GatewayTest.class);
    }

    @Override
    public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(ExtensionContext context) {
        GatewayTest settings = AnnotationSupport.findAnnotation(context.getRequiredTestMethod(), GatewayTest.class)
                .orElseThrow();
        int[] loops = settings.loops();
        if (loops.length == 0 || Arrays.stream(loops).anyMatch(n -> n < 1)) {
            throw new IllegalArgumentException("@GatewayTest loops: " + Arrays.toString(loops)
                    + " (expected: one or more counts >= 1)");
        }
        return Arrays.stream(loops).mapToObj(n -> new Run(n, settings.fakeTime()));
    }

    private record Run(int loops, boolean fakeTime) implements TestTemplateInvocationContext {
        @Override
        public String getDisplayName(int invocationIndex) {
            return "[" + loops + (loops == 1 ? " event loop" : " event loops") + (fakeTime ? ", fake time]" : "]");
        }

        @Override
        public List<Extension> getAdditionalExtensions() {
            Gateways gateways = fakeTime ? Gateways.onFakeTime(loops) : Gateways.onSystemTime(loops);
            return List.of(gateways, new Resolver(gateways));
        }
    }

    /** Hands the run's {@link Gateways}, and its {@link FakeTicker} on fake time, to the test method. */
    private record Resolver(Gateways gateways) implements ParameterResolver {
        @Override
        public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
            Class<?> type = parameter.getParameter().getType();
            return type == Gateways.class || type == FakeTicker.class;
        }

        @Override
        public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
            if (parameter.getParameter().getType() == Gateways.class) {
                return gateways;
            }
            return gateways.fakeTicker().orElseThrow(() -> new ParameterResolutionException(
                    "a FakeTicker parameter needs @GatewayTest(fakeTime = true)"));
        }
    }
}
